#include <fcgiapp.h>
// epoll and eventfd for FastCGIServer (Glibc does not export them to Swift).
#include <sys/epoll.h>
#include <sys/eventfd.h>

#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co.: see Sources/Digest/SHA256.swift for why */
#include <openssl/sha.h>

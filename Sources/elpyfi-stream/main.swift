print("elpyfi-stream: not built yet")

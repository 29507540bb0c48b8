// image_codec: JPEG (libjpeg-turbo) and PNG (libpng) decoding for Swift, without longjmp leaking.
#pragma once
#include <stddef.h>

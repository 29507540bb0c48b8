// CImageCodec: JPEG (libjpeg-turbo) and PNG (libpng simplified API) decode and encode from memory,
// for ImageIO only. libjpeg reports errors by longjmp, which Swift cannot do, so every libjpeg call
// sits behind a setjmp-guarded error manager here and failures come back as a code plus a message.
#ifndef IMAGE_CODEC_H
#define IMAGE_CODEC_H

#include <stddef.h>

enum {
    IC_OK = 0,
    IC_ERR_CORRUPT = 1,   // the data is not a decodable image of this format (message says why)
    IC_ERR_TRUNCATED = 2, // the JPEG data ends early (libjpeg would pad it with grey)
    IC_ERR_MEMORY = 3,
    IC_ERR_ARGUMENT = 4,
};

/// A decoded image: `pixels` is HWC uint8, `width * height * channels` bytes, malloc'd (free with ic_free).
typedef struct {
    int width;
    int height;
    int channels;
    unsigned char *pixels;
} ic_image;

/// A JPEG whose header has been read, ready for ONE decode (ic_jpeg_decode or
/// ic_jpeg_decode_resized); free it with ic_jpeg_close whatever happened. Reading the header once
/// serves both the caller's checks (size limits, DCT scale choice) and the decode.
typedef struct ic_jpeg ic_jpeg;

/// Reads the header of the JPEG in `data` (which must outlive the handle): full-size width/height,
/// the source colour components (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK), and whether it is progressive
/// (libjpeg then buffers the whole full-size image). On success `*out` is the handle.
int ic_jpeg_open(const unsigned char *data, size_t size, ic_jpeg **out, int *width, int *height, int *components,
                 int *progressive, char *err, size_t errlen);

/// Decodes to `channels` (1 = luma, 3 = RGB) with DCT-domain downscaling by 1/`scale_denom`
/// (1, 2, 4 or 8; output size is ceil(size / denom)). Grey, RGB, YCbCr, CMYK and YCCK sources work.
/// A truncated file (libjpeg's "premature end of JPEG file" warning) is an error, not grey padding,
/// and so is any corrupt-data warning (IC_ERR_CORRUPT with libjpeg's message).
int ic_jpeg_decode(ic_jpeg *j, int channels, int scale_denom, ic_image *out, char *err, size_t errlen);

/// As ic_jpeg_decode, then an area resize (area_resize.h) to `width` x `height` x `channels` into
/// `dst`, with the DCT-scaled pixels weighted by the original area they cover. The decoded image
/// stays inside the handle (freed by ic_jpeg_close). On an error `dst` is untouched.
int ic_jpeg_decode_resized(ic_jpeg *j, int channels, int scale_denom, unsigned char *dst, int width, int height,
                           char *err, size_t errlen);

void ic_jpeg_close(ic_jpeg *j);

/// Decodes a PNG (any bit depth/colour type) to 8-bit `channels` (1 or 3). Alpha is DROPPED, not
/// composited (as Pillow's convert("RGB") does); grey output is BT.601 luma of the RGB pixels,
/// rounded like Pillow's "L" ((19595 R + 38470 G + 7471 B + 32768) >> 16).
int ic_png_decode(const unsigned char *data, size_t size, int channels, ic_image *out, char *err, size_t errlen);

/// Encodes HWC uint8 pixels (1 or 3 channels) as a baseline JPEG of `quality` 1...100 (4:2:0 for colour).
/// On success `*out` is malloc'd (free with ic_free) and `*out_size` its length.
int ic_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                   unsigned char **out, size_t *out_size, char *err, size_t errlen);

/// Encodes HWC uint8 pixels (1, 3 or 4 channels: grey, RGB, RGBA) as a PNG.
int ic_png_encode(const unsigned char *pixels, int width, int height, int channels,
                  unsigned char **out, size_t *out_size, char *err, size_t errlen);

/// BT.601 luma of `count` RGB pixels, Pillow "L" rounding. `rgb` and `grey` may not overlap.
void ic_rgb_to_luma(const unsigned char *rgb, unsigned char *grey, size_t count);

/// Frees a buffer returned by this library.
void ic_free(void *p);

#endif

// CImageCodec implementation: libjpeg-turbo behind a setjmp error manager, libpng simplified API.
#include <stdio.h>   // before jpeglib.h, which uses FILE
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include "image_codec.h"

static void set_err(char *err, size_t errlen, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

// --- libjpeg error manager: longjmp back to the caller instead of exit() -------------------------

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int truncated;          // saw JWRN_JPEG_EOF ("premature end of JPEG file")
    int corrupt;            // saw a corrupt-data warning (libjpeg would fill the damage with grey)
    char message[JMSG_LENGTH_MAX];
    char warning[JMSG_LENGTH_MAX];   // the first corrupt-data warning
} ic_jpeg_error;

static void ic_jpeg_error_exit(j_common_ptr cinfo) {
    ic_jpeg_error *e = (ic_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

// Warnings (level -1) are counted, not printed; the end-of-data one marks truncation, and every
// other one except the two format-revision notes (unknown JFIF version, unknown Adobe transform,
// whose pixels decode correctly) marks the data corrupt: libjpeg continues past a bad Huffman
// code, a marker inside the data or missing rows by filling grey, which must not reach training.
static void ic_jpeg_emit_message(j_common_ptr cinfo, int level) {
    ic_jpeg_error *e = (ic_jpeg_error *)cinfo->err;
    if (level < 0) {
        int code = cinfo->err->msg_code;
        if (code == JWRN_JPEG_EOF) e->truncated = 1;
        else if (code != JWRN_JFIF_MAJOR && code != JWRN_ADOBE_XFORM && !e->corrupt) {
            e->corrupt = 1;
            (*cinfo->err->format_message)(cinfo, e->warning);
        }
        cinfo->err->num_warnings++;
    }
}

static void ic_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void ic_jpeg_init_error(ic_jpeg_error *e) {
    jpeg_std_error(&e->pub);
    e->pub.error_exit = ic_jpeg_error_exit;
    e->pub.emit_message = ic_jpeg_emit_message;
    e->pub.output_message = ic_jpeg_output_message;
    e->truncated = 0;
    e->corrupt = 0;
    e->message[0] = 0;
    e->warning[0] = 0;
}

int ic_jpeg_info(const unsigned char *data, size_t size, int *width, int *height, int *components,
                 int *progressive, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    ic_jpeg_error jerr;
    ic_jpeg_init_error(&jerr);
    cinfo.err = &jerr.pub;
    if (setjmp(jerr.jump)) {
        set_err(err, errlen, jerr.truncated ? "JPEG data ends early (truncated file)" : jerr.message);
        jpeg_destroy_decompress(&cinfo);
        return jerr.truncated ? IC_ERR_TRUNCATED : IC_ERR_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    *width = (int)cinfo.image_width;
    *height = (int)cinfo.image_height;
    *components = cinfo.num_components;
    *progressive = jpeg_has_multiple_scans(&cinfo) ? 1 : 0;
    jpeg_destroy_decompress(&cinfo);
    return IC_OK;
}

// CMYK scanline (Adobe files store inverted CMYK) to RGB: R = C' * K' / 255 with C' = 255 - C.
static void cmyk_to_rgb(const unsigned char *in, unsigned char *out, int n, int inverted) {
    for (int i = 0; i < n; i++) {
        int c = in[4 * i], m = in[4 * i + 1], y = in[4 * i + 2], k = in[4 * i + 3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        out[3 * i] = (unsigned char)((c * k + 127) / 255);
        out[3 * i + 1] = (unsigned char)((m * k + 127) / 255);
        out[3 * i + 2] = (unsigned char)((y * k + 127) / 255);
    }
}

void ic_rgb_to_luma(const unsigned char *rgb, unsigned char *grey, size_t count) {
    for (size_t i = 0; i < count; i++) {
        unsigned v = 19595u * rgb[3 * i] + 38470u * rgb[3 * i + 1] + 7471u * rgb[3 * i + 2] + 0x8000u;
        grey[i] = (unsigned char)(v >> 16);
    }
}

int ic_jpeg_decode(const unsigned char *data, size_t size, int channels, int scale_denom, ic_image *out,
                   char *err, size_t errlen) {
    if ((channels != 1 && channels != 3) ||
        (scale_denom != 1 && scale_denom != 2 && scale_denom != 4 && scale_denom != 8)) {
        set_err(err, errlen, "channels must be 1 or 3 and scale_denom 1, 2, 4 or 8");
        return IC_ERR_ARGUMENT;
    }
    struct jpeg_decompress_struct cinfo;
    ic_jpeg_error jerr;
    // volatile: modified between setjmp and a possible longjmp.
    unsigned char *volatile pixels = NULL;
    unsigned char *volatile scratch = NULL;
    ic_jpeg_init_error(&jerr);
    cinfo.err = &jerr.pub;
    if (setjmp(jerr.jump)) {
        // Data ending inside the headers shows up as a warning then an error ("missing SOS").
        set_err(err, errlen, jerr.truncated ? "JPEG data ends early (truncated file)" : jerr.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(scratch);
        return jerr.truncated ? IC_ERR_TRUNCATED : IC_ERR_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    if (cmyk) cinfo.out_color_space = JCS_CMYK;
    else cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned)scale_denom;
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
    pixels = malloc((size_t)w * h * channels);
    if (cmyk) scratch = malloc((size_t)w * 4 + (size_t)w * 3);
    if (!pixels || (cmyk && !scratch)) {
        set_err(err, errlen, "out of memory decoding JPEG");
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(scratch);
        return IC_ERR_MEMORY;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *row = pixels + (size_t)cinfo.output_scanline * w * channels;
        if (cmyk) {
            JSAMPROW r = scratch;
            jpeg_read_scanlines(&cinfo, &r, 1);
            unsigned char *rgb = scratch + (size_t)w * 4;
            cmyk_to_rgb(scratch, channels == 3 ? row : rgb, w, cinfo.saw_Adobe_marker);
            if (channels == 1) ic_rgb_to_luma(rgb, row, (size_t)w);
        } else {
            JSAMPROW r = row;
            jpeg_read_scanlines(&cinfo, &r, 1);
        }
        if (jerr.truncated || jerr.corrupt) break;
    }
    if (!jerr.truncated && !jerr.corrupt) jpeg_finish_decompress(&cinfo);   // may warn too
    if (jerr.truncated || jerr.corrupt) {
        set_err(err, errlen, jerr.truncated ? "JPEG data ends early (truncated file)" : jerr.warning);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(scratch);
        return jerr.truncated ? IC_ERR_TRUNCATED : IC_ERR_CORRUPT;
    }
    jpeg_destroy_decompress(&cinfo);
    free(scratch);
    out->width = w;
    out->height = h;
    out->channels = channels;
    out->pixels = pixels;
    return IC_OK;
}

int ic_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                   unsigned char **out, size_t *out_size, char *err, size_t errlen) {
    if ((channels != 1 && channels != 3) || width <= 0 || height <= 0 || quality < 1 || quality > 100) {
        set_err(err, errlen, "JPEG encode needs 1 or 3 channels, a positive size and quality 1...100");
        return IC_ERR_ARGUMENT;
    }
    struct jpeg_compress_struct cinfo;
    ic_jpeg_error jerr;
    unsigned char *buf = NULL;
    unsigned long len = 0;
    ic_jpeg_init_error(&jerr);
    cinfo.err = &jerr.pub;
    if (setjmp(jerr.jump)) {
        set_err(err, errlen, jerr.message);
        jpeg_destroy_compress(&cinfo);
        free(buf);
        return IC_ERR_CORRUPT;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buf, &len);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * width * channels);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buf;
    *out_size = (size_t)len;
    return IC_OK;
}

// --- PNG via the simplified API (no setjmp needed) -----------------------------------------------

int ic_png_decode(const unsigned char *data, size_t size, int channels, ic_image *out, char *err, size_t errlen) {
    if (channels != 1 && channels != 3) {
        set_err(err, errlen, "channels must be 1 or 3");
        return IC_ERR_ARGUMENT;
    }
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        set_err(err, errlen, image.message);
        png_image_free(&image);
        return IC_ERR_CORRUPT;
    }
    // Read as 8-bit RGBA, then drop alpha (and convert to luma) ourselves: libpng would composite
    // and gamma-correct, which Pillow's convert("RGB") does not.
    image.format = PNG_FORMAT_RGBA;
    size_t w = image.width, h = image.height, n = w * h;
    unsigned char *rgba = malloc(n * 4);
    unsigned char *pixels = malloc(n * (size_t)channels);
    if (!rgba || !pixels) {
        set_err(err, errlen, "out of memory decoding PNG");
        png_image_free(&image);
        free(rgba);
        free(pixels);
        return IC_ERR_MEMORY;
    }
    if (!png_image_finish_read(&image, NULL, rgba, 0, NULL)) {
        set_err(err, errlen, image.message);
        png_image_free(&image);
        free(rgba);
        free(pixels);
        return IC_ERR_CORRUPT;
    }
    for (size_t i = 0; i < n; i++) {   // RGBA -> RGB in place into `pixels` (or a scratch for grey)
        if (channels == 3) memcpy(pixels + 3 * i, rgba + 4 * i, 3);
        else rgba[3 * i] = rgba[4 * i], rgba[3 * i + 1] = rgba[4 * i + 1], rgba[3 * i + 2] = rgba[4 * i + 2];
    }
    if (channels == 1) ic_rgb_to_luma(rgba, pixels, n);
    free(rgba);
    out->width = (int)w;
    out->height = (int)h;
    out->channels = channels;
    out->pixels = pixels;
    return IC_OK;
}

int ic_png_encode(const unsigned char *pixels, int width, int height, int channels,
                  unsigned char **out, size_t *out_size, char *err, size_t errlen) {
    if ((channels != 1 && channels != 3 && channels != 4) || width <= 0 || height <= 0) {
        set_err(err, errlen, "PNG encode needs 1, 3 or 4 channels and a positive size");
        return IC_ERR_ARGUMENT;
    }
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)width;
    image.height = (png_uint_32)height;
    image.format = channels == 1 ? PNG_FORMAT_GRAY : channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&image, NULL, &size, 0, pixels, 0, NULL)) {
        set_err(err, errlen, image.message);
        return IC_ERR_CORRUPT;
    }
    unsigned char *buf = malloc(size);
    if (!buf) {
        set_err(err, errlen, "out of memory encoding PNG");
        return IC_ERR_MEMORY;
    }
    if (!png_image_write_to_memory(&image, buf, &size, 0, pixels, 0, NULL)) {
        set_err(err, errlen, image.message);
        free(buf);
        return IC_ERR_CORRUPT;
    }
    *out = buf;
    *out_size = (size_t)size;
    return IC_OK;
}

void ic_free(void *p) { free(p); }

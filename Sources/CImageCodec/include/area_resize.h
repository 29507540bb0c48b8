// Streaming area-averaging resize: an exact box filter in which every output pixel is the mean of
// the source area it covers, with fractional coverage at the edges (like OpenCV's INTER_AREA).
// Source rows go in top to bottom, one at a time, and need not lie in one buffer; working memory
// is a few accumulator rows, not a copy of the image.
#ifndef AREA_RESIZE_H
#define AREA_RESIZE_H

#include <stddef.h>

/// A resize in progress: src_w x src_h x channels rows in, dst_w x dst_h x channels (HWC) out.
typedef struct ic_area ic_area;

/// Starts a resize writing into `dst` (room for dst_w * dst_h * channels bytes); NULL when out of
/// memory or a size is not positive.
///
/// Geometry is in full-resolution units: source pixel i covers [i * pixel_size, min((i + 1) *
/// pixel_size, full)) of a `full_w` x `full_h` original. A plain image has pixel_size 1 and full =
/// its size. A JPEG decoded at 1/d has pixel_size d and full = the original size, so the partial
/// last DCT block (300 / 8 = 37.5 -> 38 pixels) counts for only the 4 original pixels it covers;
/// treating the 38 pixels as equal would shift the image by up to half an output pixel.
ic_area *ic_area_new(int src_w, int src_h, int channels, int dst_w, int dst_h, int pixel_size, int full_w,
                     int full_h, unsigned char *dst);

/// Adds the next source row (src_w * channels bytes); output rows are written to `dst` as soon as
/// their last source row is in, so after src_h rows `dst` is complete.
void ic_area_push_row(ic_area *a, const unsigned char *row);

/// Source rows pushed so far.
int ic_area_rows_in(const ic_area *a);

void ic_area_free(ic_area *a);

/// Whole-buffer form: resizes `src` (src_w x src_h x channels, HWC) into `dst`. Returns 0, or -1
/// when out of memory or a size is not positive.
int ic_area_resize(const unsigned char *src, int src_w, int src_h, int channels, unsigned char *dst, int dst_w,
                   int dst_h, int pixel_size, int full_w, int full_h);

#endif

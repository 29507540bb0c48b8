// Area-averaging resize: an exact box filter in which every output pixel is the mean of the source
// area it covers, with fractional coverage at the edges (like OpenCV's INTER_AREA). The one kernel
// behind ImageIO's areaResize, Image.resized and the JPEG pipeline (ic_jpeg_decode_resized).
#ifndef AREA_RESIZE_H
#define AREA_RESIZE_H

/// Resizes `src` (src_w x src_h x channels, HWC) into `dst` (dst_w x dst_h x channels), rounding
/// to nearest. Returns 0, or -1 when out of memory or a size is not positive.
///
/// Geometry is in full-resolution units: source pixel i covers [i * pixel_size, min((i + 1) *
/// pixel_size, full)) of a `full_w` x `full_h` original. A plain image has pixel_size 1 and full =
/// its size. A JPEG decoded at 1/d has pixel_size d and full = the original size, so the partial
/// last DCT block (300 / 8 = 37.5 -> 38 pixels) counts for only the 4 original pixels it covers;
/// treating the 38 pixels as equal would shift the image by up to half an output pixel.
int ic_area_resize(const unsigned char *src, int src_w, int src_h, int channels, unsigned char *dst, int dst_w,
                   int dst_h, int pixel_size, int full_w, int full_h);

#endif

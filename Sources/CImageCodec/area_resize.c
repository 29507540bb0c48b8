// Area resize (see area_resize.h), fed one source row at a time. Separable, vertical pass first:
// each source row is added, with its weight, into the float accumulator of every output row it overlaps (a
// contiguous, vectorisable multiply-add over the whole row); when an output row has all its
// source rows it is resized horizontally from that accumulator, rounded and written out.
// Vertical first because the bulk of the work (src_h rows) is then the contiguous pass, and the
// gather-like horizontal pass runs on only dst_h rows: at 150 -> 64 px that is 2.3x fewer
// horizontal taps than resizing every source row horizontally first. Working memory is a few
// accumulator rows, not a copy of the image.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "area_resize.h"

/// A resize in progress: src_w x src_h x channels rows in (ic_area_push_row, top to bottom),
/// dst_w x dst_h x channels (HWC) out, each output row written as soon as its last source row is in.
typedef struct ic_area ic_area;

struct ic_area {
    int src_w, src_h, channels, dst_w, dst_h;
    int rows_in;            // source rows pushed
    int rows_out;           // output rows finished (written to dst)
    // Taps, `stride` slots per output, unused slots weight 0: output row i reads source rows
    // v_first[i] ..< v_first[i] + v_count[i] with weights v_weight[i * v_stride ...]; output
    // column x reads source pixels h_first[x] ..< h_first[x] + h_taps, weights h_weight[x * h_taps ...].
    int v_stride, h_taps;
    int *v_first, *v_count, *h_first;
    float *v_weight, *h_weight;
    // Accumulators of the output rows still open, in a ring of `slots` rows of `acc_len` floats
    // (src_w * channels, plus zero pixels that padded taps and 4-wide loads read past the end).
    int slots, acc_len;
    float *acc;
    float *sums;            // one output row before rounding (dst_w * channels + 1 floats)
    unsigned char *dst;
};

// Most source pixels one output can touch: an interval of full / dst original pixels covers at
// most ceil((full / dst) / d) + 1 source pixels of size d.
static int max_taps(int dst, int d, int full) { return (int)ceil((double)full / dst / d) + 1; }

// The source range and weights of every output index along one axis: output j covers
// [j * s, (j + 1) * s) of the full-resolution extent, s = full / dst; source pixel i covers
// [i * d, min((i + 1) * d, full)) and weighs overlap / s. Weights of output j go to
// weight[j * stride ...] (stride >= max_taps).
static void axis_taps(int src, int dst, int d, int full, int stride, int *first, int *count, float *weight) {
    double scale = (double)full / dst;
    for (int j = 0; j < dst; j++) {
        double lo = j * scale, hi = (j + 1) * scale;
        int i0 = (int)(lo / d), i1 = (int)ceil(hi / d);   // lo >= 0: truncation is floor
        if (i0 > src - 1) i0 = src - 1;
        if (i1 > src) i1 = src;
        first[j] = i0;
        if (count) count[j] = i1 - i0;
        for (int i = i0; i < i1; i++) {
            double right = (i + 1) * (double)d, left = i * (double)d;
            if (right > full) right = full;
            if (right > hi) right = hi;
            if (left < lo) left = lo;
            double overlap = right - left;
            weight[j * stride + i - i0] = (float)(overlap > 0 ? overlap / scale : 0);
        }
    }
}

// Rounds a float size up to a multiple of 4 floats (16 bytes), so every array in the block is aligned.
static size_t floats16(size_t n) { return (n + 3) & ~(size_t)3; }

static ic_area *ic_area_new(int src_w, int src_h, int channels, int dst_w, int dst_h, int pixel_size, int full_w,
                     int full_h, unsigned char *dst) {
    if (src_w <= 0 || src_h <= 0 || channels <= 0 || dst_w <= 0 || dst_h <= 0 || pixel_size <= 0 || full_w <= 0 ||
        full_h <= 0 || !dst)
        return NULL;
    int v_stride = max_taps(dst_h, pixel_size, full_h);
    // At least 4 horizontal slots: finish_row's 3-channel loop reads 4 taps whenever there are <= 4.
    int h_taps = max_taps(dst_w, pixel_size, full_w);
    if (h_taps < 4) h_taps = 4;
    // Output rows open at once is at most the source rows' widest fan-out, bounded like the taps:
    // a source row of d original rows meets at most ceil(d / (full / dst)) + 1 output rows.
    int slots = (int)ceil((double)pixel_size * dst_h / full_h) + 1;
    int acc_len = (int)floats16((size_t)(src_w + h_taps + 1) * channels);
    // One zeroed block: floats (weights, accumulators, sums), then ints.
    size_t n_vw = floats16((size_t)dst_h * v_stride), n_hw = floats16((size_t)dst_w * h_taps),
           n_acc = (size_t)slots * acc_len, n_sums = floats16((size_t)dst_w * channels + 1);
    size_t n_floats = n_vw + n_hw + n_acc + n_sums, n_ints = 2 * (size_t)dst_h + dst_w;
    ic_area *a = calloc(1, sizeof *a + sizeof(float) * n_floats + sizeof(int) * n_ints + 16);
    if (!a) return NULL;
    float *f = (float *)(((size_t)(a + 1) + 15) & ~(size_t)15);
    a->v_weight = f; a->h_weight = f + n_vw; a->acc = a->h_weight + n_hw; a->sums = a->acc + n_acc;
    int *ints = (int *)(a->sums + n_sums);
    a->v_first = ints; a->v_count = ints + dst_h; a->h_first = ints + 2 * dst_h;
    a->src_w = src_w; a->src_h = src_h; a->channels = channels; a->dst_w = dst_w; a->dst_h = dst_h;
    a->v_stride = v_stride; a->h_taps = h_taps; a->slots = slots; a->acc_len = acc_len;
    a->dst = dst;
    axis_taps(src_h, dst_h, pixel_size, full_h, v_stride, a->v_first, a->v_count, a->v_weight);
    axis_taps(src_w, dst_w, pixel_size, full_w, h_taps, a->h_first, NULL, a->h_weight);
    return a;
}

// Horizontal pass of one finished accumulator row into output row `out`, via the float row `sums`
// (dst_w * channels + 1 floats): the sums first, then one vectorisable rounding loop.
static void finish_row(const ic_area *a, const float *acc, float *sums, unsigned char *out) {
    const int n = a->h_taps, c = a->channels, len = a->dst_w * c;
    if (c == 3) {
        // 4-wide loads of R, G, B (and the next pixel's R, ignored): the three channels of a tap
        // share its weight. The 4-wide store's last lane lands on the next pixel's R, which that
        // pixel then overwrites (hence the one spare float in `sums`).
        typedef float f4 __attribute__((ext_vector_type(4)));
        if (n == 4) {   // every shrink up to 3x at d = 1 (150 -> 64 at 1/2 scale): unrolled
            for (int x = 0; x < a->dst_w; x++) {
                const float *p = acc + 3 * a->h_first[x];
                const float *w = a->h_weight + 4 * x;
                f4 v0, v1, v2, v3;
                memcpy(&v0, p, sizeof v0);
                memcpy(&v1, p + 3, sizeof v1);
                memcpy(&v2, p + 6, sizeof v2);
                memcpy(&v3, p + 9, sizeof v3);
                f4 sum = w[0] * v0 + w[1] * v1 + w[2] * v2 + w[3] * v3;
                memcpy(sums + 3 * x, &sum, sizeof sum);
            }
        } else for (int x = 0; x < a->dst_w; x++) {
            const float *p = acc + 3 * a->h_first[x];
            const float *w = a->h_weight + x * n;
            f4 sum = 0;
            for (int k = 0; k < n; k++) {
                f4 v;
                memcpy(&v, p + 3 * k, sizeof v);
                sum += w[k] * v;
            }
            memcpy(sums + 3 * x, &sum, sizeof sum);
        }
    } else {
        for (int x = 0; x < a->dst_w; x++) {
            const float *p = acc + c * a->h_first[x];
            const float *w = a->h_weight + x * n;
            for (int ch = 0; ch < c; ch++) {
                float sum = 0;
                for (int k = 0; k < n; k++) sum += w[k] * p[k * c + ch];
                sums[x * c + ch] = sum;
            }
        }
    }
    // Round to nearest and clamp (float rounding can leave 255.0001 or -0.0001).
    for (int i = 0; i < len; i++) {
        float v = sums[i] + 0.5f;
        v = v < 0 ? 0 : v;
        v = v > 255 ? 255 : v;
        out[i] = (unsigned char)(int)v;
    }
}

static void ic_area_push_row(ic_area *a, const unsigned char *restrict row) {
    const int y = a->rows_in, len = a->src_w * a->channels;
    if (y >= a->src_h) return;
    // The open output rows this source row falls in, with its weight in each (a downscale by 2x or
    // more touches one or two).
    float *acc[8];
    float weight[8];
    int touched = 0;
    for (int i = a->rows_out; i < a->dst_h && a->v_first[i] <= y; i++) {
        int k = y - a->v_first[i];
        if (k >= a->v_count[i]) continue;
        float *row_acc = a->acc + (size_t)(i % a->slots) * a->acc_len;
        float w = a->v_weight[i * a->v_stride + k];
        if (touched == 8) {   // upscales by more than 7x: add this one on its own
            for (int x = 0; x < len; x++) row_acc[x] += w * (float)row[x];
            continue;
        }
        acc[touched] = row_acc;
        weight[touched++] = w;
    }
    if (touched == 1) {
        float *restrict a0 = acc[0];
        const float w0 = weight[0];
        for (int x = 0; x < len; x++) a0[x] += w0 * (float)row[x];
    } else if (touched == 2) {
        // Both rows in one pass: each byte is loaded and converted once.
        float *restrict a0 = acc[0], *restrict a1 = acc[1];
        const float w0 = weight[0], w1 = weight[1];
        for (int x = 0; x < len; x++) {
            float v = (float)row[x];
            a0[x] += w0 * v;
            a1[x] += w1 * v;
        }
    } else {
        for (int t = 0; t < touched; t++) {
            float *restrict at = acc[t];
            const float wt = weight[t];
            for (int x = 0; x < len; x++) at[x] += wt * (float)row[x];
        }
    }
    a->rows_in = y + 1;
    // Output rows whose last source row this was (or, after the last row, every row left).
    while (a->rows_out < a->dst_h &&
           (a->v_first[a->rows_out] + a->v_count[a->rows_out] <= y + 1 || y + 1 == a->src_h)) {
        int i = a->rows_out;
        float *row_acc = a->acc + (size_t)(i % a->slots) * a->acc_len;
        finish_row(a, row_acc, a->sums, a->dst + (size_t)i * a->dst_w * a->channels);
        memset(row_acc, 0, sizeof(float) * (size_t)len);
        a->rows_out = i + 1;
    }
}

static void ic_area_free(ic_area *a) { free(a); }   // one block

int ic_area_resize(const unsigned char *src, int src_w, int src_h, int channels, unsigned char *dst, int dst_w,
                   int dst_h, int pixel_size, int full_w, int full_h) {
    ic_area *a = ic_area_new(src_w, src_h, channels, dst_w, dst_h, pixel_size, full_w, full_h, dst);
    if (!a) return -1;
    for (int y = 0; y < src_h; y++) ic_area_push_row(a, src + (size_t)y * src_w * channels);
    ic_area_free(a);
    return 0;
}

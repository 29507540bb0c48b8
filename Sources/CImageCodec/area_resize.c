// Streaming area resize (see area_resize.h). Separable, vertical pass first: each incoming source
// row is added, with its weight, into the float accumulator of every output row it overlaps (a
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

struct ic_area {
    int src_w, src_h, channels, dst_w, dst_h;
    int rows_in;            // source rows pushed
    int rows_out;           // output rows finished (written to dst)
    // Vertical taps: output row i reads source rows v_first[i] ..< v_first[i] + v_count[i] with
    // weights v_weight[v_offset[i] ...], which sum to 1.
    int *v_first, *v_count, *v_offset;
    float *v_weight;
    // Horizontal taps: output x reads source pixels h_first[x] ..< h_first[x] + h_taps with
    // weights h_weight[x * h_taps ...]; columns with fewer real taps are padded with weight 0.
    int h_taps;
    int *h_first;
    float *h_weight;
    // Accumulators of the output rows still open, in a ring of `slots` rows of `acc_len` floats
    // (src_w * channels, plus h_taps + 1 zero pixels that padded taps and 4-wide loads may read).
    int slots, acc_len;
    float *acc;
    float *sums;            // one output row before rounding (dst_w * channels + 1 floats)
    unsigned char *dst;
};

// The source range and weights of every output index along one axis: output j covers
// [j * s, (j + 1) * s) of the full-resolution extent, s = full / dst; source pixel i covers
// [i * d, min((i + 1) * d, full)) and weighs overlap / s. Returns the total number of taps, and
// the largest count for one output in *max_count. With weight == NULL only counts are computed.
static int axis_taps(int src, int dst, int d, int full, int *first, int *count, int *offset, float *weight,
                     int *max_count) {
    double scale = (double)full / dst;
    int total = 0, widest = 0;
    for (int j = 0; j < dst; j++) {
        double lo = j * scale, hi = (j + 1) * scale;
        int i0 = (int)floor(lo / d), i1 = (int)ceil(hi / d);
        if (i0 > src - 1) i0 = src - 1;
        if (i1 > src) i1 = src;
        if (first) { first[j] = i0; count[j] = i1 - i0; offset[j] = total; }
        if (weight) {
            for (int i = i0; i < i1; i++) {
                double right = (i + 1) * (double)d, left = i * (double)d;
                if (right > full) right = full;
                if (right > hi) right = hi;
                if (left < lo) left = lo;
                double overlap = right - left;
                weight[total + i - i0] = (float)(overlap > 0 ? overlap / scale : 0);
            }
        }
        total += i1 - i0;
        if (i1 - i0 > widest) widest = i1 - i0;
    }
    *max_count = widest;
    return total;
}

ic_area *ic_area_new(int src_w, int src_h, int channels, int dst_w, int dst_h, int pixel_size, int full_w,
                     int full_h, unsigned char *dst) {
    if (src_w <= 0 || src_h <= 0 || channels <= 0 || dst_w <= 0 || dst_h <= 0 || pixel_size <= 0 || full_w <= 0 ||
        full_h <= 0 || !dst)
        return NULL;
    int v_max, h_taps;
    int v_total = axis_taps(src_h, dst_h, pixel_size, full_h, NULL, NULL, NULL, NULL, &v_max);
    axis_taps(src_w, dst_w, pixel_size, full_w, NULL, NULL, NULL, NULL, &h_taps);
    int acc_len = (src_w + h_taps + 1) * channels;
    int *h_count = malloc(sizeof(int) * 2 * (size_t)dst_w);
    if (!h_count) return NULL;
    int *h_offset = h_count + dst_w;
    ic_area *a = calloc(1, sizeof *a);
    int *ints = malloc(sizeof(int) * (3 * (size_t)dst_h + dst_w));
    float *v_weight = malloc(sizeof(float) * (size_t)v_total);
    float *h_weight = calloc((size_t)dst_w * h_taps, sizeof(float));
    if (!a || !ints || !v_weight || !h_weight) {
        free(h_count); free(a); free(ints); free(v_weight); free(h_weight);
        return NULL;
    }
    a->src_w = src_w; a->src_h = src_h; a->channels = channels; a->dst_w = dst_w; a->dst_h = dst_h;
    a->v_first = ints; a->v_count = ints + dst_h; a->v_offset = ints + 2 * dst_h; a->h_first = ints + 3 * dst_h;
    a->v_weight = v_weight;
    a->h_weight = h_weight;
    a->h_taps = h_taps;
    a->dst = dst;
    axis_taps(src_h, dst_h, pixel_size, full_h, a->v_first, a->v_count, a->v_offset, v_weight, &v_max);
    // Horizontal weights are computed compactly into a scratch, then spread to h_taps per column.
    int h_total = axis_taps(src_w, dst_w, pixel_size, full_w, a->h_first, h_count, h_offset, NULL, &h_taps);
    float *compact = malloc(sizeof(float) * (size_t)h_total);
    if (!compact) {
        free(h_count);
        ic_area_free(a);
        return NULL;
    }
    axis_taps(src_w, dst_w, pixel_size, full_w, a->h_first, h_count, h_offset, compact, &h_taps);
    for (int x = 0; x < dst_w; x++)
        for (int k = 0; k < h_count[x]; k++) h_weight[x * h_taps + k] = compact[h_offset[x] + k];
    free(compact);
    free(h_count);
    // Output rows open at once: those whose source range holds the current row. First and last
    // rows are non-decreasing in i, so the open rows are consecutive and i % slots never collides.
    int slots = 1;
    for (int y = 0, lo = 0; y < src_h; y++) {
        while (lo < dst_h && a->v_first[lo] + a->v_count[lo] <= y) lo++;
        int hi = lo;
        while (hi < dst_h && a->v_first[hi] <= y) hi++;
        if (hi - lo > slots) slots = hi - lo;
    }
    a->slots = slots;
    a->acc_len = acc_len;
    a->acc = calloc((size_t)slots * acc_len, sizeof(float));
    a->sums = malloc(sizeof(float) * ((size_t)dst_w * channels + 1));
    if (!a->acc || !a->sums) {
        ic_area_free(a);
        return NULL;
    }
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
        for (int x = 0; x < a->dst_w; x++) {
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

void ic_area_push_row(ic_area *a, const unsigned char *restrict row) {
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
        float w = a->v_weight[a->v_offset[i] + k];
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

int ic_area_rows_in(const ic_area *a) { return a->rows_in; }

void ic_area_free(ic_area *a) {
    if (!a) return;
    free(a->v_first);   // the int block (v_first, v_count, v_offset, h_first)
    free(a->v_weight);
    free(a->h_weight);
    free(a->acc);
    free(a->sums);
    free(a);
}

int ic_area_resize(const unsigned char *src, int src_w, int src_h, int channels, unsigned char *dst, int dst_w,
                   int dst_h, int pixel_size, int full_w, int full_h) {
    ic_area *a = ic_area_new(src_w, src_h, channels, dst_w, dst_h, pixel_size, full_w, full_h, dst);
    if (!a) return -1;
    for (int y = 0; y < src_h; y++) ic_area_push_row(a, src + (size_t)y * src_w * channels);
    ic_area_free(a);
    return 0;
}

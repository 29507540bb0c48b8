// Literal-only deflate (see huffman_deflate.h). The input is cut into blocks of BLOCK bytes; each
// gets its own dynamic Huffman code over the 256 byte values and end-of-block, so the code follows
// the local statistics of the rows it covers. No match search: for 64 px photos zlib's run-length
// search (Z_RLE) stored chunks 0.5% smaller than literals alone, at a third of the speed.
//
// A block as RFC 1951 3.2.7 lays it out: BFINAL, BTYPE = 2, HLIT = 0 (257 literal/length codes),
// HDIST = 1 (2 distance codes, both of length 1: a complete code nothing uses, which every
// inflater accepts), HCLEN = 15 (all 19 code-length codes), their 3-bit lengths, then the 259
// code lengths as code-length symbols (runs of zeros, the byte values a block lacks, as repeat
// codes 17 and 18; other lengths one symbol each), then the block's bytes and end-of-block.
#include "huffman_deflate.h"

#include <stdint.h>
#include <string.h>
#include <zlib.h>   // adler32_z for the trailer

enum { BLOCK = 1 << 16, NLIT = 257, NDIST = 2, NCL = 19, END_OF_BLOCK = 256 };

// Bits go out least significant first (RFC 1951 3.1.1); 32 at a time.
typedef struct {
    uint64_t acc;
    int bits;
    unsigned char *out;
} bit_writer;

static inline void put_bits(bit_writer *w, uint32_t value, int count) {
    w->acc |= (uint64_t)value << w->bits;
    w->bits += count;
    if (w->bits >= 32) {
        uint32_t word = (uint32_t)w->acc;
        unsigned char le[4] = {(unsigned char)word, (unsigned char)(word >> 8), (unsigned char)(word >> 16),
                               (unsigned char)(word >> 24)};
        memcpy(w->out, le, 4);
        w->out += 4;
        w->acc >>= 32;
        w->bits -= 32;
    }
}

static void flush_bits(bit_writer *w) {
    while (w->bits > 0) {
        *w->out++ = (unsigned char)w->acc;
        w->acc >>= 8;
        w->bits -= 8;
    }
    w->bits = 0;
    w->acc = 0;
}

// Huffman code lengths of at most max_len bits for freq[0..<n]; symbols of frequency 0 get 0.
// Needs at least two symbols of nonzero frequency (then the code is complete, as zlib's inflater
// requires). A tree deeper than max_len is rebuilt from halved frequencies (each kept >= 1),
// which flattens it; a Huffman tree of these sizes needs a few rounds at most.
static void code_lengths(const uint32_t *freq_in, int n, int max_len, uint8_t *len) {
    uint32_t freq[NLIT];
    for (int s = 0; s < n; s++) freq[s] = freq_in[s];
    for (;;) {
        // Leaves sorted by frequency (insertion sort: n <= 257).
        int leaf[NLIT], m = 0;
        for (int s = 0; s < n; s++) {
            if (freq[s] == 0) continue;
            int k = m++;
            while (k > 0 && freq[leaf[k - 1]] > freq[s]) { leaf[k] = leaf[k - 1]; k--; }
            leaf[k] = s;
        }
        // Two-queue construction: leaves 0..<m in order, internal nodes m..<2m-1 made in
        // nondecreasing weight, so the two lightest are always at one of the two queue heads.
        uint64_t weight[2 * NLIT];
        int parent[2 * NLIT];
        for (int k = 0; k < m; k++) weight[k] = freq[leaf[k]];
        int next_leaf = 0, next_node = m, made = m;
        for (int step = 0; step < m - 1; step++) {
            int pick[2];
            for (int t = 0; t < 2; t++) {
                if (next_leaf < m && (next_node >= made || weight[next_leaf] <= weight[next_node])) pick[t] = next_leaf++;
                else pick[t] = next_node++;
            }
            weight[made] = weight[pick[0]] + weight[pick[1]];
            parent[pick[0]] = parent[pick[1]] = made;
            made++;
        }
        // Depths, root (the last node made) first.
        int depth[2 * NLIT];
        depth[made - 1] = 0;
        for (int k = made - 2; k >= 0; k--) depth[k] = depth[parent[k]] + 1;
        int deepest = 0;
        for (int k = 0; k < m; k++) deepest = depth[k] > deepest ? depth[k] : deepest;
        if (deepest <= max_len) {
            memset(len, 0, (size_t)n);
            for (int k = 0; k < m; k++) len[leaf[k]] = (uint8_t)depth[k];
            return;
        }
        for (int s = 0; s < n; s++) if (freq[s]) freq[s] = (freq[s] >> 1) | 1;
    }
}

// Canonical codes (RFC 1951 3.2.2) for len[0..<n], bit-reversed for LSB-first output.
static void canonical_codes(const uint8_t *len, int n, uint32_t *code) {
    int count[16] = {0};
    uint32_t next[16];
    for (int s = 0; s < n; s++) count[len[s]]++;
    count[0] = 0;
    uint32_t c = 0;
    for (int bits = 1; bits < 16; bits++) {
        c = (c + (uint32_t)count[bits - 1]) << 1;
        next[bits] = c;
    }
    for (int s = 0; s < n; s++) {
        int l = len[s];
        if (l == 0) { code[s] = 0; continue; }
        uint32_t v = next[l]++, r = 0;
        for (int b = 0; b < l; b++) r |= ((v >> b) & 1u) << (l - 1 - b);
        code[s] = r;
    }
}

static const uint8_t code_length_order[NCL] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

// One block's codes: literal/length and distance lengths, and the code-length code that sends them.
typedef struct {
    uint8_t lit_len[NLIT];
    uint32_t lit_code[NLIT];
    uint8_t sym[NLIT + NDIST];       // the 259 lengths as code-length symbols (zero runs as 17, 18)
    uint8_t extra[NLIT + NDIST];     // their extra bits (a run's length)
    int nsym;
    uint8_t cl_len[NCL];
    uint32_t cl_code[NCL];
    size_t bits;                      // the block's size in bits, header included
} block_code;

// Extra bits after a code-length symbol: 17 takes 3 (3-10 zeros), 18 takes 7 (11-138 zeros).
static int extra_bits(int sym) { return sym == 17 ? 3 : sym == 18 ? 7 : 0; }

static void plan_block(const unsigned char *src, size_t n, block_code *b) {
    // Four histograms, merged: consecutive equal bytes would otherwise serialise on one counter.
    uint32_t h[4][256];
    memset(h, 0, sizeof h);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) { h[0][src[i]]++; h[1][src[i + 1]]++; h[2][src[i + 2]]++; h[3][src[i + 3]]++; }
    for (; i < n; i++) h[0][src[i]]++;
    uint32_t freq[NLIT];
    for (int s = 0; s < 256; s++) freq[s] = h[0][s] + h[1][s] + h[2][s] + h[3][s];
    freq[END_OF_BLOCK] = 1;
    if (n == 0) freq[0] = 1;   // a second symbol, so the code is complete
    code_lengths(freq, NLIT, 15, b->lit_len);
    canonical_codes(b->lit_len, NLIT, b->lit_code);
    uint8_t lengths[NLIT + NDIST];
    memcpy(lengths, b->lit_len, NLIT);
    lengths[NLIT] = 1;
    lengths[NLIT + 1] = 1;
    // The lengths as code-length symbols: runs of 3 or more zeros (unused byte values) as 17
    // (3-10 zeros) or 18 (11-138), any other length as itself.
    b->nsym = 0;
    for (int k = 0; k < NLIT + NDIST;) {
        int run = 0;
        while (lengths[k] == 0 && k + run < NLIT + NDIST && lengths[k + run] == 0 && run < 138) run++;
        if (run >= 11) { b->sym[b->nsym] = 18; b->extra[b->nsym++] = (uint8_t)(run - 11); k += run; }
        else if (run >= 3) { b->sym[b->nsym] = 17; b->extra[b->nsym++] = (uint8_t)(run - 3); k += run; }
        else { b->sym[b->nsym] = lengths[k]; b->extra[b->nsym++] = 0; k++; }
    }
    uint32_t cl_freq[NCL] = {0};
    for (int k = 0; k < b->nsym; k++) cl_freq[b->sym[k]]++;
    int used = 0;
    for (int k = 0; k < NCL; k++) used += cl_freq[k] != 0;
    if (used < 2) cl_freq[cl_freq[0] ? 2 : 0]++;   // a second symbol, so the code is complete
    code_lengths(cl_freq, NCL, 7, b->cl_len);
    canonical_codes(b->cl_len, NCL, b->cl_code);
    size_t bits = 3 + 5 + 5 + 4 + 3 * NCL;
    for (int k = 0; k < b->nsym; k++) bits += b->cl_len[b->sym[k]] + extra_bits(b->sym[k]);
    for (int s = 0; s < NLIT; s++) bits += (size_t)freq[s] * b->lit_len[s];
    b->bits = bits;
}

static void write_block(bit_writer *w, const unsigned char *src, size_t n, const block_code *b, int final) {
    put_bits(w, final ? 1u : 0u, 1);
    put_bits(w, 2, 2);
    put_bits(w, NLIT - 257, 5);
    put_bits(w, NDIST - 1, 5);
    put_bits(w, NCL - 4, 4);
    for (int k = 0; k < NCL; k++) put_bits(w, b->cl_len[code_length_order[k]], 3);
    for (int k = 0; k < b->nsym; k++) {
        put_bits(w, b->cl_code[b->sym[k]], b->cl_len[b->sym[k]]);
        if (extra_bits(b->sym[k])) put_bits(w, b->extra[k], extra_bits(b->sym[k]));
    }
    for (size_t i = 0; i < n; i++) put_bits(w, b->lit_code[src[i]], b->lit_len[src[i]]);
    put_bits(w, b->lit_code[END_OF_BLOCK], b->lit_len[END_OF_BLOCK]);
}

size_t hd_compress(const unsigned char *src, size_t n, unsigned char *dst, size_t cap) {
    if (!dst || (!src && n > 0) || cap < 2) return 0;
    bit_writer w = {0, 0, dst + 2};
    dst[0] = 0x78;   // deflate, 32 KiB window
    dst[1] = 0x01;   // no dictionary, fastest; (0x78 * 256 + 0x01) % 31 == 0
    size_t used_bits = 0;
    size_t at = 0;
    do {
        size_t len = n - at < BLOCK ? n - at : BLOCK;
        block_code b;
        plan_block(src + at, len, &b);
        used_bits += b.bits;
        // The whole stream so far, the bit writer's 4-byte stores and the 4-byte trailer must fit.
        if (2 + (used_bits + 7) / 8 + 8 > cap) return 0;
        write_block(&w, src + at, len, &b, at + len == n);
        at += len;
    } while (at < n);
    flush_bits(&w);
    uint32_t adler = (uint32_t)adler32_z(1, src, n);
    unsigned char trailer[4] = {(unsigned char)(adler >> 24), (unsigned char)(adler >> 16), (unsigned char)(adler >> 8),
                                (unsigned char)adler};
    memcpy(w.out, trailer, 4);
    return (size_t)(w.out + 4 - dst);
}

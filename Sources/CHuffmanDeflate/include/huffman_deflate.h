// A zlib stream of literals only (RFC 1950 around RFC 1951 dynamic-Huffman blocks, no matches):
// what zlib's Z_HUFFMAN_ONLY strategy makes, at several times its speed. For the images cache's
// chunks, where matches shrink 64 px photos by under 1% more (see Storage/ChunkWriter.swift).
#ifndef HUFFMAN_DEFLATE_H
#define HUFFMAN_DEFLATE_H
#include <stddef.h>

/// Compresses src[0..<n] into dst (capacity cap) as one zlib stream any inflater reads; returns
/// its length, or 0 when it would not fit in cap (the caller stores the bytes raw).
size_t hd_compress(const unsigned char *src, size_t n, unsigned char *dst, size_t cap);

#endif

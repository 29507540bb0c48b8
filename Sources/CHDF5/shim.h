// CHDF5: the serial HDF5 C library, imported by Storage only.
// Macros that Swift cannot import are wrapped as inline functions (the macro calls H5open()).
#include <stdio.h>
#include <hdf5.h>

static inline hid_t df_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t df_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t df_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t df_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t df_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t df_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t df_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t df_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t df_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline unsigned df_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned df_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned df_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline hsize_t df_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }
static inline size_t df_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hid_t df_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline hid_t df_H5P_DATASET_XFER(void) { return H5P_DATASET_XFER; }
static inline hid_t df_H5T_NATIVE_HBOOL(void) { return H5T_NATIVE_HBOOL; }

/// Silences HDF5's automatic error-stack printing on the calling thread. The serial library is built
/// thread-safe on Debian, where this setting is per thread, so Storage calls it on every entry.
static inline void df_H5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

typedef struct { char first[256]; char last[256]; int count; } df_H5_error_walk;

static inline herr_t df_H5_error_walker(unsigned n, const H5E_error2_t *err, void *data) {
    df_H5_error_walk *w = (df_H5_error_walk *)data;
    const char *d = (err && err->desc) ? err->desc : "";
    if (w->count == 0) { snprintf(w->first, sizeof w->first, "%s", d); }
    snprintf(w->last, sizeof w->last, "%s", d);
    w->count += 1;
    (void)n;
    return 0;
}

/// Writes a one-line summary of the current thread's HDF5 error stack into `buf`: the API-level
/// description and the innermost cause ("unable to open file: file does not exist"), then clears it.
static inline void df_H5_last_error(char *buf, size_t size) {
    df_H5_error_walk w; w.first[0] = 0; w.last[0] = 0; w.count = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, df_H5_error_walker, &w);
    if (w.count == 0) snprintf(buf, size, "unknown HDF5 error");
    else if (w.count == 1) snprintf(buf, size, "%s", w.first);
    else snprintf(buf, size, "%s: %s", w.first, w.last);
    H5Eclear2(H5E_DEFAULT);
}

#include <zlib.h>

/// Compresses `n` bytes into a zlib stream, what HDF5's deflate filter stores for a chunk (it
/// inflates any zlib stream, so `strategy` may be Z_RLE etc.). Returns the stream's length, or 0
/// when it would not fit in `cap` bytes (HDF5 then keeps the chunk unfiltered). Thread-safe: for
/// compressing chunks on worker threads before H5Dwrite_chunk.
static inline size_t df_deflate_chunk(const unsigned char *src, size_t n, unsigned char *dst, size_t cap,
                                      int level, int strategy) {
    z_stream z;
    z.zalloc = Z_NULL; z.zfree = Z_NULL; z.opaque = Z_NULL;
    if (deflateInit2(&z, level, Z_DEFLATED, 15, 8, strategy) != Z_OK) return 0;
    z.next_in = (Bytef *)src; z.avail_in = (uInt)n;
    z.next_out = dst; z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t out = z.total_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? out : 0;
}

// CHDF5: the serial HDF5 C library, imported by Storage only.
// Macros that Swift cannot import are wrapped as inline functions (the macro calls H5open()).
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

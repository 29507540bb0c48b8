// CBLAS: OpenBLAS's C interface, imported by NN only.
#include <cblas.h>
// Thread control lives in OpenBLAS's own header; declared here so Swift can call it.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

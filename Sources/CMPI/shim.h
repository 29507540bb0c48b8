// CMPI: Open MPI's C interface, imported by MPIComm only.
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

static inline MPI_Comm df_MPI_COMM_WORLD(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm df_MPI_COMM_SELF(void) { return MPI_COMM_SELF; }
static inline MPI_Datatype df_MPI_FLOAT(void) { return MPI_FLOAT; }
static inline MPI_Datatype df_MPI_DOUBLE(void) { return MPI_DOUBLE; }
static inline MPI_Datatype df_MPI_INT(void) { return MPI_INT; }
static inline MPI_Datatype df_MPI_INT64_T(void) { return MPI_INT64_T; }
static inline MPI_Datatype df_MPI_BYTE(void) { return MPI_BYTE; }
static inline MPI_Op df_MPI_SUM(void) { return MPI_SUM; }
static inline MPI_Op df_MPI_MAX(void) { return MPI_MAX; }
static inline MPI_Op df_MPI_MIN(void) { return MPI_MIN; }
static inline void *df_MPI_IN_PLACE(void) { return MPI_IN_PLACE; }
// NULL in Open MPI, (MPI_Status *)1 in MPICH: never pass nil for them.
static inline MPI_Status *df_MPI_STATUS_IGNORE(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *df_MPI_STATUSES_IGNORE(void) { return MPI_STATUSES_IGNORE; }

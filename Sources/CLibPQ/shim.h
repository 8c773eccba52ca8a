#ifndef STEWARD_CLIBPQ_SHIM_H
#define STEWARD_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif

#ifndef STEWARD_CMICROHTTPD_SHIM_H
#define STEWARD_CMICROHTTPD_SHIM_H
#include <sys/types.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdint.h>
#include <microhttpd.h>

/* MHD_start_daemon is variadic: options travel as one MHD_OPTION_ARRAY. */
static inline struct MHD_Daemon *steward_mhd_start(unsigned int flags, uint16_t port,
        MHD_AccessHandlerCallback handler, void *handler_cls,
        const struct MHD_OptionItem *options) {
    return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/* MHD_get_daemon_info is variadic too; the bound port is all Steward asks. */
static inline uint16_t steward_mhd_bound_port(struct MHD_Daemon *d) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/* Option values are intptr_t-sized; these make the casts explicit for Swift. */
static inline struct MHD_OptionItem steward_mhd_option_uint(enum MHD_OPTION o, unsigned int v) {
    struct MHD_OptionItem item = { o, (intptr_t)v, NULL }; return item;
}
static inline struct MHD_OptionItem steward_mhd_option_size(enum MHD_OPTION o, size_t v) {
    struct MHD_OptionItem item = { o, (intptr_t)v, NULL }; return item;
}
static inline struct MHD_OptionItem steward_mhd_option_pointer(enum MHD_OPTION o, void *v) {
    struct MHD_OptionItem item = { o, 0, v }; return item;
}
static inline struct MHD_OptionItem steward_mhd_option_completed(MHD_RequestCompletedCallback cb, void *cls) {
    struct MHD_OptionItem item = { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)cb, cls }; return item;
}
static inline struct MHD_OptionItem steward_mhd_option_unescape(size_t (*cb)(void *, struct MHD_Connection *, char *), void *cls) {
    struct MHD_OptionItem item = { MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)cb, cls }; return item;
}
static inline struct MHD_OptionItem steward_mhd_option_end(void) {
    struct MHD_OptionItem item = { MHD_OPTION_END, 0, NULL }; return item;
}
#endif

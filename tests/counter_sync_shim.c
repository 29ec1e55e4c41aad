/*
 * An LD_PRELOAD shim for tests/counter_file.rs: it stands between the process and the C
 * library's fsync(2) and fdatasync(2), which Rust's File::sync_all and File::sync_data call,
 * and watches the syncs of the files under one directory. Compiled at test time with `cc`
 * into the test's private directory.
 *
 * Environment (read at each call):
 *   COUNTER_SHIM_DIR      only the syncs of files whose path starts with this are counted,
 *                         logged, failed or killed on; the others pass straight through
 *   COUNTER_SHIM_LOG      if set: after each counted sync returns, write
 *                         "SYNC <function> <n> <path>\n" to stdout with one write(2), where
 *                         the child also prints each nonce it used
 *   COUNTER_SHIM_KILL_AT  N: the Nth counted sync is done for real, then SIGKILL: a crash
 *                         between a reservation made durable and its first use
 *   COUNTER_SHIM_FAIL_AT  N: the Nth counted sync fails with EIO without syncing, and the
 *                         later ones succeed, as Linux reports a failed writeback once: a
 *                         counter that tried again would be told its reservation is durable
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*sync_fn)(int);

static unsigned long counted;

static long env_number(const char *name) {
    const char *value = getenv(name);
    return value ? strtol(value, NULL, 10) : 0;
}

/* Whether `fd` is a file under COUNTER_SHIM_DIR; its path in `path`. */
static int watched(int fd, char *path, size_t len) {
    const char *dir = getenv("COUNTER_SHIM_DIR");
    char link[64];
    ssize_t n;
    if (dir == NULL || dir[0] == '\0') {
        return 0;
    }
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, path, len - 1);
    if (n < 0) {
        return 0;
    }
    path[n] = '\0';
    return strncmp(path, dir, strlen(dir)) == 0;
}

static int intercept(const char *name, int fd) {
    char path[PATH_MAX];
    char line[PATH_MAX + 64];
    sync_fn real = (sync_fn)dlsym(RTLD_NEXT, name);
    unsigned long n;
    int ret, saved;
    if (real == NULL) {
        errno = ENOSYS;
        return -1;
    }
    if (!watched(fd, path, sizeof path)) {
        return real(fd);
    }
    n = __atomic_add_fetch(&counted, 1, __ATOMIC_SEQ_CST);
    if (env_number("COUNTER_SHIM_FAIL_AT") > 0 &&
        n == (unsigned long)env_number("COUNTER_SHIM_FAIL_AT")) {
        errno = EIO;
        return -1;
    }
    ret = real(fd);
    saved = errno;
    if (getenv("COUNTER_SHIM_LOG") != NULL) {
        int len = snprintf(line, sizeof line, "SYNC %s %lu %s\n", name, n, path);
        if (len > 0 && write(STDOUT_FILENO, line, (size_t)len) < 0) {
            /* The test sees the missing line. */
        }
    }
    if (n == (unsigned long)env_number("COUNTER_SHIM_KILL_AT")) {
        raise(SIGKILL);
    }
    errno = saved;
    return ret;
}

int fsync(int fd) { return intercept("fsync", fd); }

int fdatasync(int fd) { return intercept("fdatasync", fd); }

/*
 * avro_c_decode.c — reference decode benchmark using Apache avro-c's *generic* reader.
 *
 * Part of Lantern's decoder comparison (see bench/compare_decode.py). Loads every
 * given Avro object container file into memory first, then decodes all records of
 * all files repeatedly on one thread for about S seconds (whole passes over the file
 * set, after one untimed warm-up/validation pass), and prints one JSON line:
 *
 *   {"tool":"avro-c","mode":...,"alerts_per_s":...,"mb_per_s":...,"alerts":n,
 *    "bytes":b,"files":f,"skipped":k,"passes":p,"seconds":t}
 *
 * alerts = records in one pass over the loaded set, bytes = file bytes in one pass,
 * mb_per_s = 1e6 file bytes per second. No disk I/O is timed.
 *
 * Modes:
 *   --mode container (default): each pass opens every file from its memory buffer
 *       (fmemopen + avro_file_reader_fp), i.e. parses the header and the embedded
 *       JSON writer schema, builds the generic class/value from it, reads every
 *       record with avro_file_reader_read_value (codecs null/deflate/snappy as
 *       built into libavro) and frees everything. Nothing is cached between files:
 *       "decode every alert from in-memory container-file bytes".
 *   --mode datum: the schema, generic class and value of each file are built once
 *       at load time; each pass only decodes the record datums of the (null-codec)
 *       blocks with avro_reader_memory + avro_value_read. This is the "schema cached"
 *       lower bound on avro-c's per-record cost. Compressed files are skipped.
 *
 * Files avro-c cannot read (bad magic, e.g. Confluent wire-format packets, schema
 * rejected by avro-c, record count differing from the container's block counts)
 * are skipped with a message on stderr and counted in "skipped".
 *
 * Usage: avro_c_decode [--seconds S] [--mode container|datum] FILE...
 * Build: cc -O2 bench/avro_c_decode.c $(pkg-config --cflags --libs avro-c)
 *        (CMake: add_executable(avro_c_decode bench/avro_c_decode.c) linked
 *        against pkg-config avro-c)
 */
#define _GNU_SOURCE
#include <avro.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum mode { MODE_CONTAINER, MODE_DATUM };

struct block {
    const char *data;
    int64_t size;
    int64_t count;
};

struct input {
    const char *path;
    char *buf;
    size_t len;
    int64_t records; /* sum of the container's block counts */
    struct block *blocks;
    size_t nblocks;
    char codec[32];
    /* datum mode only */
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int load_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return -1; }
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return -1; }
    *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!*buf) { fclose(f); return -1; }
    if (n > 0 && fread(*buf, 1, (size_t)n, f) != (size_t)n) {
        free(*buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    *len = (size_t)n;
    return 0;
}

/* ---- minimal container framing parser (to know record counts and block bounds) ---- */

static int read_varlong(const unsigned char *p, size_t len, size_t *pos, int64_t *out)
{
    uint64_t v = 0;
    int shift = 0;
    while (*pos < len && shift < 64) {
        unsigned char b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return 0;
        }
        shift += 7;
    }
    return -1;
}

/* Returns NULL on success, else a static error string. Fills blocks/records/codec and the
 * position/length of the embedded schema JSON. */
static const char *parse_container(struct input *in, const char **schema_json, size_t *schema_len)
{
    const unsigned char *p = (const unsigned char *)in->buf;
    size_t len = in->len, pos = 4;
    *schema_json = NULL;
    *schema_len = 0;
    strcpy(in->codec, "null");
    if (len < 4 || memcmp(p, "Obj\x01", 4) != 0)
        return len >= 5 && p[0] == 0 ? "not a container file (Confluent wire format?)"
                                     : "not an Avro container file (bad magic)";
    for (;;) {
        int64_t count, sz;
        if (read_varlong(p, len, &pos, &count)) return "truncated header";
        if (count == 0) break;
        if (count < 0) {
            count = -count;
            if (read_varlong(p, len, &pos, &sz)) return "truncated header";
        }
        for (int64_t i = 0; i < count; i++) {
            int64_t klen, vlen;
            if (read_varlong(p, len, &pos, &klen) || klen < 0 || (size_t)klen > len - pos)
                return "bad header key";
            const char *key = (const char *)p + pos;
            pos += (size_t)klen;
            if (read_varlong(p, len, &pos, &vlen) || vlen < 0 || (size_t)vlen > len - pos)
                return "bad header value";
            const char *val = (const char *)p + pos;
            pos += (size_t)vlen;
            if (klen == 11 && memcmp(key, "avro.schema", 11) == 0) {
                *schema_json = val;
                *schema_len = (size_t)vlen;
            } else if (klen == 10 && memcmp(key, "avro.codec", 10) == 0) {
                size_t n = (size_t)vlen < sizeof in->codec - 1 ? (size_t)vlen : sizeof in->codec - 1;
                memcpy(in->codec, val, n);
                in->codec[n] = 0;
            }
        }
    }
    if (len - pos < 16) return "truncated header (no sync marker)";
    const unsigned char *sync = p + pos;
    pos += 16;
    size_t cap = 0;
    in->records = 0;
    while (pos < len) {
        int64_t count, size;
        if (read_varlong(p, len, &pos, &count) || read_varlong(p, len, &pos, &size) || count < 0 ||
            size < 0 || (size_t)size > len - pos || len - pos - (size_t)size < 16)
            return "truncated or corrupt data block";
        if (memcmp(p + pos + size, sync, 16) != 0) return "sync marker mismatch";
        if (in->nblocks == cap) {
            cap = cap ? 2 * cap : 4;
            in->blocks = realloc(in->blocks, cap * sizeof *in->blocks);
            if (!in->blocks) return "out of memory";
        }
        in->blocks[in->nblocks++] = (struct block){(const char *)p + pos, size, count};
        in->records += count;
        pos += (size_t)size + 16;
    }
    if (!*schema_json) return "header has no avro.schema";
    return NULL;
}

/* ---- decoding ---- */

/* Container mode: decode one file entirely from its memory buffer with avro-c's file
 * reader. Returns the number of records read, or -1 on error (message in avro_strerror). */
static int64_t decode_container(const struct input *in)
{
    FILE *fp = fmemopen(in->buf, in->len, "rb");
    if (!fp) {
        avro_set_error("fmemopen failed: %s", strerror(errno));
        return -1;
    }
    avro_file_reader_t r;
    if (avro_file_reader_fp(fp, in->path, 1, &r) != 0) return -1; /* closes fp */
    /* In avro-c 1.11 this returns a new reference (refcount+1): release it, or every
     * opened file leaks its whole parsed schema. */
    avro_schema_t schema = avro_file_reader_get_writer_schema(r);
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_schema_decref(schema);
    if (!iface) {
        avro_file_reader_close(r);
        return -1;
    }
    avro_value_t v;
    if (avro_generic_value_new(iface, &v) != 0) {
        avro_value_iface_decref(iface);
        avro_file_reader_close(r);
        return -1;
    }
    int64_t n = 0;
    /* avro-c returns non-zero both at end of data and on errors; the caller checks the
     * count against the container's block counts during the validation pass. */
    while (avro_file_reader_read_value(r, &v) == 0) n++;
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
    avro_file_reader_close(r);
    return n;
}

/* Datum mode: schema/class/value prepared at load; decode every datum of every block. */
static int64_t decode_datums(struct input *in, avro_reader_t rd)
{
    int64_t n = 0;
    for (size_t b = 0; b < in->nblocks; b++) {
        avro_reader_memory_set_source(rd, in->blocks[b].data, in->blocks[b].size);
        for (int64_t i = 0; i < in->blocks[b].count; i++) {
            if (avro_value_read(rd, &in->value) != 0) return -1;
            n++;
        }
    }
    return n;
}

static void usage(void)
{
    fprintf(stderr, "usage: avro_c_decode [--seconds S] [--mode container|datum] FILE...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    double seconds = 3.0;
    enum mode mode = MODE_CONTAINER;
    struct input *ins = calloc((size_t)argc, sizeof *ins);
    size_t nin = 0, skipped = 0;
    if (!ins) return 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "container") == 0) mode = MODE_CONTAINER;
            else if (strcmp(m, "datum") == 0) mode = MODE_DATUM;
            else usage();
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            usage();
        } else {
            struct input *in = &ins[nin];
            in->path = argv[i];
            if (load_file(argv[i], &in->buf, &in->len) != 0) {
                fprintf(stderr, "avro_c_decode: skip %s: cannot read file: %s\n", argv[i], strerror(errno));
                skipped++;
                continue;
            }
            nin++;
        }
    }
    if (nin + skipped == 0) usage();

    /* Validation pass (untimed): framing, then one full decode with avro-c. */
    avro_reader_t rd = avro_reader_memory(NULL, 0);
    size_t kept = 0;
    for (size_t i = 0; i < nin; i++) {
        struct input *in = &ins[i];
        const char *schema_json;
        size_t schema_len;
        const char *err = parse_container(in, &schema_json, &schema_len);
        int64_t n = -1;
        if (!err && strcmp(in->codec, "null") == 0) {
            /* Datum-level check with avro-c: every block must decode to exactly its
             * declared record count and consume exactly its bytes. */
            if (avro_schema_from_json_length(schema_json, schema_len, &in->schema) != 0) {
                err = avro_strerror();
            } else if (!(in->iface = avro_generic_class_from_schema(in->schema)) ||
                       avro_generic_value_new(in->iface, &in->value) != 0) {
                err = avro_strerror();
            } else {
                for (size_t b = 0; b < in->nblocks && !err; b++) {
                    avro_reader_memory_set_source(rd, in->blocks[b].data, in->blocks[b].size);
                    for (int64_t k = 0; k < in->blocks[b].count && !err; k++)
                        if (avro_value_read(rd, &in->value) != 0) err = avro_strerror();
                    if (!err && avro_skip(rd, 1) == 0)
                        err = "avro-c decoded a block without consuming all its bytes";
                }
            }
            if (mode == MODE_CONTAINER || err) {
                if (in->iface) {
                    avro_value_decref(&in->value);
                    avro_value_iface_decref(in->iface);
                    in->iface = NULL;
                }
                if (in->schema) avro_schema_decref(in->schema);
                in->schema = NULL;
            }
        } else if (!err && mode == MODE_DATUM) {
            err = "datum mode handles codec null only";
        }
        if (!err) {
            n = mode == MODE_DATUM ? decode_datums(in, rd) : decode_container(in);
            if (n < 0) err = avro_strerror();
        }
        if (!err && n != in->records) {
            static char msg[256];
            snprintf(msg, sizeof msg, "avro-c read %lld of %lld records (%s)", (long long)n,
                     (long long)in->records, avro_strerror());
            err = msg;
        }
        if (err) {
            fprintf(stderr, "avro_c_decode: skip %s: %s\n", in->path, err);
            skipped++;
            free(in->buf);
            free(in->blocks);
            continue;
        }
        ins[kept++] = *in;
    }
    nin = kept;

    int64_t alerts = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < nin; i++) {
        alerts += ins[i].records;
        bytes += ins[i].len;
    }
    if (nin == 0 || alerts == 0) {
        printf("{\"tool\":\"avro-c\",\"mode\":\"%s\",\"alerts_per_s\":0,\"mb_per_s\":0,\"alerts\":0,"
               "\"bytes\":0,\"files\":0,\"skipped\":%zu,\"passes\":0,\"seconds\":0}\n",
               mode == MODE_DATUM ? "datum" : "container", skipped);
        return 1;
    }

    /* Timed loop: whole passes over the set until `seconds` have elapsed (at least one). */
    int64_t decoded = 0;
    uint64_t passes = 0;
    double t0 = now_s(), elapsed;
    do {
        for (size_t i = 0; i < nin; i++) {
            int64_t n = mode == MODE_DATUM ? decode_datums(&ins[i], rd) : decode_container(&ins[i]);
            if (n != ins[i].records) {
                fprintf(stderr, "avro_c_decode: %s: decode failed in timed loop: %s\n", ins[i].path,
                        avro_strerror());
                return 1;
            }
            decoded += n;
        }
        passes++;
        elapsed = now_s() - t0;
    } while (elapsed < seconds);

    printf("{\"tool\":\"avro-c\",\"mode\":\"%s\",\"alerts_per_s\":%.1f,\"mb_per_s\":%.2f,"
           "\"alerts\":%lld,\"bytes\":%llu,\"files\":%zu,\"skipped\":%zu,\"passes\":%llu,"
           "\"seconds\":%.3f}\n",
           mode == MODE_DATUM ? "datum" : "container", (double)decoded / elapsed,
           (double)bytes * (double)passes / elapsed / 1e6, (long long)alerts,
           (unsigned long long)bytes, nin, skipped, (unsigned long long)passes, elapsed);

    for (size_t i = 0; i < nin; i++) {
        if (mode == MODE_DATUM) {
            avro_value_decref(&ins[i].value);
            avro_value_iface_decref(ins[i].iface);
            avro_schema_decref(ins[i].schema);
        }
        free(ins[i].buf);
        free(ins[i].blocks);
    }
    avro_reader_free(rd);
    free(ins);
    return 0;
}

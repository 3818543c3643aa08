/* json.h — a small JSON reader for config.json and safetensors headers (not on any hot path). */
#ifndef SX_JSON_H
#define SX_JSON_H

#include <stddef.h>

typedef enum { SXJ_NULL, SXJ_BOOL, SXJ_NUM, SXJ_STR, SXJ_ARR, SXJ_OBJ } sx_json_type;

typedef struct sx_json {
    sx_json_type type;
    double num;            /* SXJ_NUM, SXJ_BOOL (0/1) */
    char *str;             /* SXJ_STR, decoded, NUL-terminated */
    int n;                 /* children of SXJ_ARR / SXJ_OBJ */
    struct sx_json *kids;  /* [n] */
    char **keys;           /* [n] for SXJ_OBJ */
} sx_json;

/* Parses text[0..len); NULL on error with a reason in err. Free with sx_json_free. */
sx_json *sx_json_parse(const char *text, size_t len, char *err, size_t err_len);
void sx_json_free(sx_json *j);
const sx_json *sx_json_get(const sx_json *obj, const char *key);
double sx_json_num(const sx_json *obj, const char *key, double dflt);
const char *sx_json_str(const sx_json *obj, const char *key);

#endif

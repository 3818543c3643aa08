/* json.c — recursive-descent JSON parser with a depth limit; strings decoded (\uXXXX to UTF-8). */
#include "json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *p, *end; char *err; size_t err_len; int depth; } ps;

static int fail(ps *s, const char *what) {
    if (s->err && !s->err[0]) snprintf(s->err, s->err_len, "%s", what);
    return 0;
}

static void ws(ps *s) { while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t')) s->p++; }

static void free_node(sx_json *j) {
    if (!j) return;
    free(j->str);
    for (int i = 0; i < j->n; i++) { free_node(&j->kids[i]); if (j->keys) free(j->keys[i]); }
    free(j->kids); free(j->keys);
}

void sx_json_free(sx_json *j) { if (j) { free_node(j); free(j); } }

static int put_utf8(char *o, unsigned c) {
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | c >> 6); o[1] = (char)(0x80 | (c & 63)); return 2; }
    if (c < 0x10000) { o[0] = (char)(0xE0 | c >> 12); o[1] = (char)(0x80 | ((c >> 6) & 63)); o[2] = (char)(0x80 | (c & 63)); return 3; }
    o[0] = (char)(0xF0 | c >> 18); o[1] = (char)(0x80 | ((c >> 12) & 63)); o[2] = (char)(0x80 | ((c >> 6) & 63)); o[3] = (char)(0x80 | (c & 63)); return 4;
}

static int hex4(ps *s, unsigned *v) {
    if (s->end - s->p < 4) return fail(s, "bad \\u escape");
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *s->p++; *v <<= 4;
        if (c >= '0' && c <= '9') *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') *v |= (unsigned)(c - 'A' + 10);
        else return fail(s, "bad \\u escape");
    }
    return 1;
}

static int str(ps *s, char **out) {
    if (s->p >= s->end || *s->p != '"') return fail(s, "expected a string");
    s->p++;
    const char *q = s->p; size_t cap = 0;
    while (q < s->end && *q != '"') { if (*q == '\\') q++; q++; cap++; }
    if (q >= s->end) return fail(s, "unterminated string");
    char *o = malloc(cap * 4 + 1); size_t n = 0;
    if (!o) return fail(s, "out of memory");
    while (*s->p != '"') {
        char c = *s->p++;
        if (c != '\\') { o[n++] = c; continue; }
        c = *s->p++;
        switch (c) {
        case 'n': o[n++] = '\n'; break; case 't': o[n++] = '\t'; break; case 'r': o[n++] = '\r'; break;
        case 'b': o[n++] = '\b'; break; case 'f': o[n++] = '\f'; break;
        case 'u': {
            unsigned v; if (!hex4(s, &v)) { free(o); return 0; }
            if (v >= 0xD800 && v < 0xDC00 && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
                unsigned lo; s->p += 2; if (!hex4(s, &lo)) { free(o); return 0; }
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            }
            n += (size_t)put_utf8(o + n, v);
        } break;
        default: o[n++] = c;
        }
    }
    s->p++;
    o[n] = 0; *out = o;
    return 1;
}

static int value(ps *s, sx_json *j);

static int push(sx_json *j, int *cap) {
    if (j->n == *cap) {
        int c = *cap ? *cap * 2 : 8;
        sx_json *k = realloc(j->kids, sizeof(sx_json) * (size_t)c);
        if (!k) return 0;
        j->kids = k;
        if (j->type == SXJ_OBJ) { char **ks = realloc(j->keys, sizeof(char *) * (size_t)c); if (!ks) return 0; j->keys = ks; }
        *cap = c;
    }
    memset(&j->kids[j->n], 0, sizeof(sx_json));
    if (j->type == SXJ_OBJ) j->keys[j->n] = NULL;
    j->n++;
    return 1;
}

static int value(ps *s, sx_json *j) {
    ws(s);
    if (s->p >= s->end) return fail(s, "unexpected end of JSON");
    if (++s->depth > 64) return fail(s, "JSON nested too deeply");
    char c = *s->p; int cap = 0, ok = 1;
    if (c == '{' || c == '[') {
        j->type = c == '{' ? SXJ_OBJ : SXJ_ARR; s->p++; ws(s);
        char close = c == '{' ? '}' : ']';
        if (s->p < s->end && *s->p == close) { s->p++; s->depth--; return 1; }
        for (;;) {
            if (!push(j, &cap)) return fail(s, "out of memory");
            if (j->type == SXJ_OBJ) {
                ws(s);
                if (!str(s, &j->keys[j->n - 1])) return 0;
                ws(s);
                if (s->p >= s->end || *s->p != ':') return fail(s, "expected ':'");
                s->p++;
            }
            if (!value(s, &j->kids[j->n - 1])) return 0;
            ws(s);
            if (s->p < s->end && *s->p == ',') { s->p++; continue; }
            if (s->p < s->end && *s->p == close) { s->p++; break; }
            return fail(s, "expected ',' or a closing bracket");
        }
    } else if (c == '"') { j->type = SXJ_STR; ok = str(s, &j->str); }
    else if (s->end - s->p >= 4 && !memcmp(s->p, "true", 4)) { j->type = SXJ_BOOL; j->num = 1; s->p += 4; }
    else if (s->end - s->p >= 5 && !memcmp(s->p, "false", 5)) { j->type = SXJ_BOOL; s->p += 5; }
    else if (s->end - s->p >= 4 && !memcmp(s->p, "null", 4)) { j->type = SXJ_NULL; s->p += 4; }
    else {
        char buf[64]; size_t n = 0;
        while (s->p < s->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", *s->p)) buf[n++] = *s->p++;
        buf[n] = 0;
        char *e; j->type = SXJ_NUM; j->num = strtod(buf, &e);
        if (n == 0 || *e) return fail(s, "bad JSON value");
    }
    s->depth--;
    return ok;
}

sx_json *sx_json_parse(const char *text, size_t len, char *err, size_t err_len) {
    if (err && err_len) err[0] = 0;
    ps s = { text, text + len, err, err_len, 0 };
    sx_json *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    if (!value(&s, j)) { sx_json_free(j); return NULL; }
    ws(&s);
    if (s.p != s.end) { fail(&s, "trailing characters after JSON"); sx_json_free(j); return NULL; }
    return j;
}

const sx_json *sx_json_get(const sx_json *o, const char *key) {
    if (!o || o->type != SXJ_OBJ) return NULL;
    for (int i = 0; i < o->n; i++) if (strcmp(o->keys[i], key) == 0) return &o->kids[i];
    return NULL;
}

double sx_json_num(const sx_json *o, const char *key, double dflt) {
    const sx_json *v = sx_json_get(o, key);
    return v && (v->type == SXJ_NUM || v->type == SXJ_BOOL) ? v->num : dflt;
}

const char *sx_json_str(const sx_json *o, const char *key) {
    const sx_json *v = sx_json_get(o, key);
    return v && v->type == SXJ_STR ? v->str : NULL;
}

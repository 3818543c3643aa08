/* safetensors.c — Hugging Face directory loader (config.json + *.safetensors). */
#include "model.h"
#include "backend.h"

sx_status sx_safetensors_load(sx_model *m, const char *dir) {
    return sx_set_error(SX_ERR_UNSUPPORTED, "%s: Hugging Face directories are not supported yet", dir);
}

/* Loads MODEL with the given options, predicts IMAGE, and prints what
   check_cache.py compares between processes: the digit, every probability
   (to the last bit), the output kind, the engine, what the compiled-model
   cache did, and whether libtorch got loaded.
   Usage: MODEL IMAGE [--cache-dir DIR] [--output-kind NAME] [--engine NAME]
   (--cache-dir "" turns the cache off; without it, di_load_options.cache_dir is
   NULL: the environment decides). Exit status 1 when the load or the predict fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digitinfer/digitinfer.h"
#include "../libtorch_mapped.h"


static const char *cache_use_name(int use) {
    switch (use) {
        case DI_CACHE_NOT_USED: return "not_used";
        case DI_CACHE_HIT: return "hit";
        case DI_CACHE_STORED: return "stored";
        case DI_CACHE_NOT_STORED: return "not_stored";
        default: return "unknown";
    }
}

int main(int argc, char **argv) {
    static unsigned char image[1 << 20];
    float probabilities[64];
    size_t size;
    int i;
    FILE *f;
    di_model *model = NULL;
    di_prediction p;
    di_outputs out = di_outputs_default();
    di_load_options opts = di_load_options_default();
    di_model_info info = di_model_info_default();
    di_engine engine;
    di_output_kind kind;
    if (argc < 3 || argc % 2 == 0) return 2;
    for (i = 3; i < argc; i += 2) {
        if (strcmp(argv[i], "--cache-dir") == 0) {
            opts.cache_dir = argv[i + 1];
        } else if (strcmp(argv[i], "--output-kind") == 0 && di_output_kind_from_name(argv[i + 1], &kind) == DI_OK) {
            opts.output_kind = kind;
        } else if (strcmp(argv[i], "--engine") == 0 && di_engine_from_name(argv[i + 1], &engine) == DI_OK) {
            opts.engine = engine;
        } else {
            fprintf(stderr, "bad argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!(f = fopen(argv[2], "rb"))) return 2;
    size = fread(image, 1, sizeof image, f);
    fclose(f);

    if (di_model_load_file(argv[1], &opts, &model) != DI_OK) {
        printf("load failed: %s\n", di_last_error_message());
        return 1;
    }
    if (di_model_get_info(model, &info) != DI_OK || info.num_classes > 64) return 1;
    out.predictions = &p;
    out.probabilities = probabilities;
    out.scores_capacity = 64;
    if (di_model_predict_encoded(model, image, size, &out) != DI_OK) {
        printf("predict failed: %s\n", di_last_error_message());
        return 1;
    }
    printf("digit %d\nprobabilities", p.class_index);
    for (i = 0; i < info.num_classes; ++i) printf(" %.9g", probabilities[i]);
    printf("\noutput_kind %s\nengine %s\nhas_metadata %d\nname %s\n", di_output_kind_name((di_output_kind)info.output_kind),
           di_engine_name((di_engine)info.engine), info.has_metadata, info.name);
    printf("cache %s\ncache_path %s\ncache_note %s\n", cache_use_name(info.cache), info.cache_path, info.cache_note);
    printf("error message '%s'\n", di_last_error_message());
    di_model_free(model);
    printf("libtorch loaded: %s\n", libtorch_mapped() ? "yes" : "no");
    return 0;
}

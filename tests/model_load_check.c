/* Loads MODEL (and predicts IMAGE when given), then says whether libtorch got
   loaded along the way: programs that use compiled models, or are handed a file
   that is no model at all, must not pay for libtorch. Usage: MODEL [IMAGE].
   Prints "load: STATUS: message" or "digit N", then "libtorch loaded: yes|no". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digitinfer/digitinfer.h"
#include "libtorch_mapped.h"


int main(int argc, char **argv) {
    static unsigned char image[1 << 20];
    size_t size = 0;
    FILE *f;
    di_model *model = NULL;
    di_prediction p;
    di_outputs out = di_outputs_default();
    di_status status;
    if (argc < 2 || argc > 3) return 2;
    if (argc == 3) {
        if (!(f = fopen(argv[2], "rb"))) return 2;
        size = fread(image, 1, sizeof image, f);
        fclose(f);
    }
    out.predictions = &p;
    status = di_model_load_file(argv[1], NULL, &model);
    if (status != DI_OK) {
        printf("load: %s: %s\n", di_status_string(status), di_last_error_message());
    } else if (argc == 3) {
        if (di_model_predict_encoded(model, image, size, &out) != DI_OK) {
            fprintf(stderr, "%s\n", di_last_error_message());
            return 1;
        }
        printf("digit %d\n", p.class_index);
    }
    di_model_free(model);
    printf("libtorch loaded: %s\n", libtorch_mapped() ? "yes" : "no");
    return 0;
}

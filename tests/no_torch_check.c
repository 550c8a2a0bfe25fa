/* Loads a .dimodel, predicts, and fails if libtorch got loaded along the way:
   programs that use compiled models must not pay for libtorch. Usage: MODEL IMAGE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digitinfer/digitinfer.h"

static int libtorch_mapped(void) {
    char line[4096];
    int found = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) return -1;
    while (fgets(line, sizeof line, maps))
        if (strstr(line, "libtorch")) found = 1;
    fclose(maps);
    return found;
}

int main(int argc, char **argv) {
    static unsigned char image[1 << 20];
    size_t size;
    FILE *f;
    di_model *model = NULL;
    di_prediction p;
    di_outputs out = di_outputs_default();
    if (argc != 3 || !(f = fopen(argv[2], "rb"))) return 2;
    size = fread(image, 1, sizeof image, f);
    fclose(f);
    out.predictions = &p;
    if (di_model_load_file(argv[1], NULL, &model) != DI_OK || di_model_predict_encoded(model, image, size, &out) != DI_OK) {
        fprintf(stderr, "%s\n", di_last_error_message());
        return 1;
    }
    di_model_free(model);
    printf("digit %d, libtorch loaded: %s\n", p.class_index, libtorch_mapped() ? "yes" : "no");
    return libtorch_mapped() == 0 ? 0 : 1;
}

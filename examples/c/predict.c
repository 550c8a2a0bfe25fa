/* Predicts the digit in each image file with the DigitInfer C API (C99).
   Usage: predict_c MODEL IMAGE...
   MODEL is best a compiled model, such as the installed
   share/digitinfer/models/convnet.dimodel: it loads in milliseconds and never
   loads libtorch. A TorchScript file (convnet.scripted.pt) loads the same way
   when the libtorch plugin is installed beside the library. */
#include <stdio.h>
#include <stdlib.h>

#include <digitinfer/digitinfer.h>

/* Reads a whole file into a malloc'ed buffer; NULL on failure. */
static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc(n > 0 ? (size_t)n : 1);
        if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
            free(data);
            data = NULL;
        }
        *size = (size_t)n;
    }
    fclose(f);
    return data;
}

int main(int argc, char **argv) {
    di_model *model = NULL;
    int i, failures = 0;
    if (argc < 3) {
        fprintf(stderr,
                "usage: %s MODEL IMAGE...\n"
                "  MODEL: a .dimodel (e.g. convnet.dimodel, no libtorch needed),\n"
                "         or a TorchScript .pt (e.g. convnet.scripted.pt, through the libtorch plugin)\n",
                argv[0]);
        return 2;
    }
    if (di_abi_version() != DI_ABI_VERSION) {
        fprintf(stderr, "libdigitinfer ABI %u, built against %d\n", (unsigned)di_abi_version(), DI_ABI_VERSION);
        return 1;
    }
    if (di_model_load_file(argv[1], NULL, &model) != DI_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], di_last_error_message());
        return 1;
    }
    for (i = 2; i < argc; ++i) {
        size_t size = 0;
        unsigned char *bytes = read_file(argv[i], &size);
        di_prediction p;
        di_outputs out = di_outputs_default();
        di_status status;
        const char *label = "?";
        out.predictions = &p;
        if (!bytes) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            ++failures;
            continue;
        }
        status = di_model_predict_encoded(model, bytes, size, &out);
        free(bytes);
        if (status != DI_OK) {
            fprintf(stderr, "%s: %s: %s\n", argv[i], di_status_string(status), di_last_error_message());
            ++failures;
            continue;
        }
        di_model_get_label(model, p.class_index, &label);
        printf("%s: %s (p=%.4f)\n", argv[i], label, p.probability);
    }
    di_model_free(model);
    return failures ? 1 : 0;
}

/* test_package IMAGE EXPECTED_DIGIT [MODEL]
   Loads MODEL (default: convnet.dimodel in the package's DigitInfer_MODEL_DIR,
   compiled in), predicts IMAGE and fails unless the digit is EXPECTED_DIGIT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <digitinfer/digitinfer.h>

#ifndef TEST_PACKAGE_DEFAULT_MODEL
#error "TEST_PACKAGE_DEFAULT_MODEL (from DigitInfer_MODEL_DIR) is not defined"
#endif

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)n);
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
    const char *model_path = argc > 3 ? argv[3] : TEST_PACKAGE_DEFAULT_MODEL;
    di_model *model = NULL;
    di_prediction p;
    di_outputs out = di_outputs_default();
    unsigned char *bytes;
    size_t size = 0;
    di_status status;
    int expected;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s IMAGE EXPECTED_DIGIT [MODEL]   (default model: %s)\n", argv[0],
                TEST_PACKAGE_DEFAULT_MODEL);
        return 2;
    }
    expected = atoi(argv[2]);
    printf("DigitInfer %s (headers %s, ABI %u)\n", di_version(), DI_VERSION_STRING,
           (unsigned)di_abi_version());
    if (strcmp(di_version(), DI_VERSION_STRING) != 0 || di_abi_version() != DI_ABI_VERSION) {
        fprintf(stderr, "FAIL: the library is not the version of its headers\n");
        return 1;
    }
    if (di_model_load_file(model_path, NULL, &model) != DI_OK) {
        fprintf(stderr, "FAIL: %s: %s\n", model_path, di_last_error_message());
        return 1;
    }
    bytes = read_file(argv[1], &size);
    if (!bytes) {
        fprintf(stderr, "FAIL: %s: cannot read\n", argv[1]);
        di_model_free(model);
        return 1;
    }
    out.predictions = &p;
    status = di_model_predict_encoded(model, bytes, size, &out);
    free(bytes);
    di_model_free(model);
    if (status != DI_OK) {
        fprintf(stderr, "FAIL: %s: %s: %s\n", argv[1], di_status_string(status), di_last_error_message());
        return 1;
    }
    printf("model %s\n%s: %d (p=%.4f)\n", model_path, argv[1], (int)p.class_index, p.probability);
    if (p.class_index != expected) {
        fprintf(stderr, "FAIL: predicted %d, expected %d\n", (int)p.class_index, expected);
        return 1;
    }
    printf("ok\n");
    return 0;
}

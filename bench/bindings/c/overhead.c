/* Per-call cost of the C API itself: the baseline the language bindings'
   overhead is measured against (docs/bindings.md). Each binding's benchmark
   times the same three calls on the same model with one thread:
     info     di_model_get_info (a trivial call: what crossing the ABI costs)
     tensor   di_model_predict_tensor on one preprocessed 1x28x28 tensor
     encoded  di_model_predict_encoded on the bytes of a PNG
   and prints, per call, the median and range (ns) over REPEATS runs of CALLS calls.
   Usage: overhead_c MODEL IMAGE [CALLS [REPEATS]]  (defaults 2000, 5)
   Build: cc -O2 overhead.c $(pkg-config --cflags --libs digitinfer) -o overhead_c */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <digitinfer/digitinfer.h>

enum { MAX_REPEATS = 101 };

typedef struct bench_case {
    const di_model *model;
    const unsigned char *image;
    size_t image_size;
    const float *tensor;
    size_t tensor_floats;
} bench_case;

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

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

/* One call of the named kind; returns its status. */
static di_status call_once(const bench_case *c, char kind) {
    di_prediction prediction;
    di_outputs out = di_outputs_default();
    di_model_info info = di_model_info_default();
    out.predictions = &prediction;
    switch (kind) {
    case 'i': return di_model_get_info(c->model, &info);
    case 't': return di_model_predict_tensor(c->model, c->tensor, c->tensor_floats, 1, &out);
    default: return di_model_predict_encoded(c->model, c->image, c->image_size, &out);
    }
}

static int run(const bench_case *c, const char *name, char kind, int calls, int repeats) {
    double per_call[MAX_REPEATS];
    int r, i;
    for (r = 0; r < repeats; ++r) {
        double start = now_ns();
        for (i = 0; i < calls; ++i) {
            if (call_once(c, kind) != DI_OK) {
                fprintf(stderr, "%s: %s\n", name, di_last_error_message());
                return 1;
            }
        }
        per_call[r] = (now_ns() - start) / calls;
    }
    qsort(per_call, (size_t)repeats, sizeof per_call[0], compare_doubles);
    printf("c       %-8s median %10.0f ns  range %.0f-%.0f ns  (%d x %d calls)\n", name, per_call[repeats / 2],
           per_call[0], per_call[repeats - 1], repeats, calls);
    return 0;
}

int main(int argc, char **argv) {
    di_load_options options = di_load_options_default();
    di_model *model = NULL;
    bench_case c;
    float tensor[28 * 28];
    int calls = argc > 3 ? atoi(argv[3]) : 2000, repeats = argc > 4 ? atoi(argv[4]) : 5, failed;
    if (argc < 3 || calls < 1 || repeats < 1 || repeats > MAX_REPEATS) {
        fprintf(stderr, "usage: %s MODEL IMAGE [CALLS [REPEATS <= %d]]\n", argv[0], MAX_REPEATS);
        return 2;
    }
    options.num_threads = 1;
    if (di_model_load_file(argv[1], &options, &model) != DI_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], di_last_error_message());
        return 1;
    }
    c.model = model;
    c.image = read_file(argv[2], &c.image_size);
    if (!c.image || di_model_preprocess_encoded(model, c.image, c.image_size, NULL, 0, tensor, 28 * 28) != DI_OK) {
        fprintf(stderr, "%s: cannot read or preprocess (%s)\n", argv[2], di_last_error_message());
        return 1;
    }
    c.tensor = tensor;
    c.tensor_floats = 28 * 28;
    failed = run(&c, "info", 'i', calls, repeats) || run(&c, "tensor", 't', calls, repeats) ||
             run(&c, "encoded", 'e', calls, repeats);
    free((void *)c.image);
    di_model_free(model);
    return failed;
}

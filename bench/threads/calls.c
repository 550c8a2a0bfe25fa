/* calls MODEL THREADS CALLERS BATCH CALLS IMAGE...
   CALLERS threads each make CALLS predict calls on batches of BATCH encoded
   images (taken in turn from IMAGE...), all on one model loaded with
   num_threads = THREADS (0: the library's default). Prints one line:
   wall seconds, process CPU seconds, and microseconds of wall and of CPU per
   image. Built against the C API only, so one binary measures any build of
   libdigitinfer.so.1 (LD_LIBRARY_PATH). bench/threads/run.sh drives it. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <digitinfer/digitinfer.h>

typedef struct job {
    const di_model *model;
    const di_encoded_image *images;
    size_t image_count, batch, calls, offset;
    int failed;
} job;

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_stime.tv_sec +
           ((double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_usec) * 1e-6;
}

static void *caller(void *arg) {
    job *j = arg;
    di_encoded_image *batch = calloc(j->batch, sizeof *batch);
    di_prediction *predictions = calloc(j->batch, sizeof *predictions);
    di_outputs out = di_outputs_default();
    size_t next = j->offset, c, i;
    out.predictions = predictions;
    if (!batch || !predictions) j->failed = 1;
    for (c = 0; c < j->calls && !j->failed; ++c) {
        for (i = 0; i < j->batch; ++i, next = (next + 1) % j->image_count) batch[i] = j->images[next];
        if (di_model_predict_encoded_batch(j->model, batch, j->batch, &out) != DI_OK) {
            fprintf(stderr, "predict: %s\n", di_last_error_message());
            j->failed = 1;
        }
    }
    free(batch);
    free(predictions);
    return NULL;
}

static void *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    void *data = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)n)) != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    if (data) *size = (size_t)n;
    fclose(f);
    return data;
}

int main(int argc, char **argv) {
    di_load_options options = di_load_options_default();
    di_model *model = NULL;
    di_encoded_image *images;
    pthread_t *threads;
    job *jobs;
    size_t callers, batch, calls, count, i;
    double wall, cpu;
    int failed = 0;
    if (argc < 7) {
        fprintf(stderr, "usage: %s MODEL THREADS CALLERS BATCH CALLS IMAGE...\n", argv[0]);
        return 2;
    }
    options.num_threads = atoi(argv[2]);
    callers = (size_t)atol(argv[3]);
    batch = (size_t)atol(argv[4]);
    calls = (size_t)atol(argv[5]);
    count = (size_t)(argc - 6);
    if (di_model_load_file(argv[1], &options, &model) != DI_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], di_last_error_message());
        return 1;
    }
    images = calloc(count, sizeof *images);
    threads = calloc(callers, sizeof *threads);
    jobs = calloc(callers, sizeof *jobs);
    if (!images || !threads || !jobs || callers == 0 || batch == 0) return 2;
    for (i = 0; i < count; ++i)
        if (!(images[i].data = read_all(argv[6 + i], &images[i].size))) {
            fprintf(stderr, "%s: cannot read\n", argv[6 + i]);
            return 1;
        }
    wall = seconds(CLOCK_MONOTONIC);
    cpu = cpu_seconds();
    for (i = 0; i < callers; ++i) {
        jobs[i] = (job){model, images, count, batch, calls, i * 7 % count, 0};
        if (pthread_create(&threads[i], NULL, caller, &jobs[i]) != 0) return 1;
    }
    for (i = 0; i < callers; ++i) {
        pthread_join(threads[i], NULL);
        failed |= jobs[i].failed;
    }
    wall = seconds(CLOCK_MONOTONIC) - wall;
    cpu = cpu_seconds() - cpu;
    {
        const double n = (double)callers * (double)calls * (double)batch;
        printf("wall %.3f s  cpu %.3f s  %.2f us/image wall  %.2f us/image cpu\n", wall, cpu, wall / n * 1e6,
               cpu / n * 1e6);
    }
    di_model_free(model);
    for (i = 0; i < count; ++i) free((void *)images[i].data);
    free(images);
    free(threads);
    free(jobs);
    return failed;
}

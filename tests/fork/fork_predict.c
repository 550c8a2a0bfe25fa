/* A forked child must be able to predict after its parent predicted on several threads.
   GNU libgomp's thread pool (ours, and libtorch's: the same libgomp here) does not survive
   fork(): the child's first parallel region used to wait for threads that do not exist.

   Usage: fork_predict MODEL [ENGINE]   (ENGINE: auto, native, libtorch, reference; default auto)

   Loads MODEL with 2 threads, predicts a batch of gray images on 2 threads (the preprocessing
   team and the engine's or libtorch's), then forks; the child predicts the same batch on the
   model's 2 threads, again on 16 per call (more threads than images: the engine's split-image
   path), then loads MODEL again and predicts with that, and must give the parent's results.
   The parent waits at most kTimeoutSeconds and kills a child that has not finished: a hang
   fails the test, never hangs it. Prints "child ok" and exits 0 on success. */
#define _POSIX_C_SOURCE 200809L  /* kill, nanosleep */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "digitinfer/digitinfer.h"

enum { kImages = 8, kSide = 40, kTimeoutSeconds = 30 };

static uint8_t pixels[kImages][kSide * kSide];

/* Predicts the batch on `threads` threads per call (0: the model's); 0 on success. */
static int predict(const di_model *model, int threads, di_prediction *out) {
    di_gray_image images[kImages];
    di_predict_options opts = di_predict_options_default();
    di_results results = di_results_default();
    int i;
    for (i = 0; i < kImages; ++i) {
        images[i].pixels = pixels[i];
        images[i].width = images[i].height = kSide;
        images[i].stride = kSide;
    }
    opts.num_threads = threads;
    results.predictions = out;
    if (di_model_predict_gray_ex(model, images, kImages, &opts, &results) != DI_OK) {
        fprintf(stderr, "predict: %s\n", di_last_error_message());
        return 1;
    }
    return 0;
}

static int same(const di_prediction *a, const di_prediction *b) {
    int i;
    for (i = 0; i < kImages; ++i)
        if (a[i].class_index != b[i].class_index || fabsf(a[i].probability - b[i].probability) > 1e-5f) return 0;
    return 1;
}

/* The child's exit status: 0 when its predictions match the parent's. It predicts with the
   parent's model, then loads the file again (a TorchScript load sets libtorch's thread count)
   and predicts with that. */
static int child(const di_model *model, const char *path, const di_load_options *opts,
                 const di_prediction *expected) {
    di_prediction got[kImages];
    di_model *again = NULL;
    int failed;
    if (predict(model, 0, got) || !same(got, expected)) return 1;
    if (predict(model, 16, got) || !same(got, expected)) return 1;  /* more threads than images: split */
    if (di_model_load_file(path, opts, &again) != DI_OK) return 1;
    failed = predict(again, 0, got) || !same(got, expected);
    di_model_free(again);
    return failed;
}

int main(int argc, char **argv) {
    di_load_options opts = di_load_options_default();
    di_model *model = NULL;
    di_prediction expected[kImages];
    int i, status = 0;
    pid_t pid;
    time_t deadline;
    const struct timespec tick = {0, 10 * 1000 * 1000};
    if (argc < 2 || argc > 3) return 2;
    if (argc == 3 && di_engine_from_name(argv[2], (di_engine *)&opts.engine) != DI_OK) return 2;
    for (i = 0; i < kImages * kSide * kSide; ++i) pixels[i / (kSide * kSide)][i % (kSide * kSide)] = (uint8_t)(i * 37 % 251);
    opts.num_threads = 2;
    if (di_model_load_file(argv[1], &opts, &model) != DI_OK) {
        fprintf(stderr, "load: %s\n", di_last_error_message());
        return 1;
    }
    if (predict(model, 0, expected)) return 1;
    fflush(stdout);
    pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) _exit(child(model, argv[1], &opts, expected));
    deadline = time(NULL) + kTimeoutSeconds;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (time(NULL) > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            printf("child hung: no answer within %d s, killed\n", kTimeoutSeconds);
            return 1;
        }
        nanosleep(&tick, NULL);
    }
    di_model_free(model);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("child failed (status %d)\n", status);
        return 1;
    }
    printf("child ok\n");
    return 0;
}

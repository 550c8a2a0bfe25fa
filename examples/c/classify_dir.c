/* Classifies every image file in a directory with all cores, through the
   DigitInfer C API (C99 + POSIX): the files are read, then predicted in
   batches of up to 256 with per-image statuses, so an unreadable or corrupt
   file is reported alone and the rest still get their digit.
   Usage: classify_dir MODEL DIRECTORY
   Prints "file<TAB>digit<TAB>probability" per image (or "file<TAB>error<TAB>why"),
   sorted by name, then a summary on stderr. Exit status 1 if any file failed. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <digitinfer/digitinfer.h>

enum { BATCH = 256 };

typedef struct file_list {
    char **paths;
    size_t count;
} file_list;

static int compare_paths(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of `dir`, sorted; paths are malloc'ed. Returns 0 on success. */
static int list_files(const char *dir, file_list *list) {
    DIR *d = opendir(dir);
    struct dirent *entry;
    size_t capacity = 0;
    list->paths = NULL;
    list->count = 0;
    if (!d) return -1;
    while ((entry = readdir(d)) != NULL) {
        struct stat st;
        char *path = malloc(strlen(dir) + strlen(entry->d_name) + 2);
        if (!path) break;
        sprintf(path, "%s/%s", dir, entry->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        if (list->count == capacity) {
            char **grown = realloc(list->paths, (capacity = capacity ? 2 * capacity : 64) * sizeof *grown);
            if (!grown) {
                free(path);
                break;
            }
            list->paths = grown;
        }
        list->paths[list->count++] = path;
    }
    closedir(d);
    if (list->count) qsort(list->paths, list->count, sizeof *list->paths, compare_paths);
    return 0;
}

/* Reads a whole file; NULL (and *size 0) if it cannot. */
static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    long n;
    *size = 0;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc(n > 0 ? (size_t)n : 1);
        if (data && fread(data, 1, (size_t)n, f) == (size_t)n) {
            *size = (size_t)n;
        } else {
            free(data);
            data = NULL;
        }
    }
    fclose(f);
    return data;
}

/* Predicts paths[0..count) in one call; prints each line; returns the number that failed. */
static size_t classify_batch(const di_model *model, char **paths, size_t count) {
    di_encoded_image images[BATCH];
    unsigned char *buffers[BATCH];
    di_prediction predictions[BATCH];
    di_status statuses[BATCH];
    const char *messages[BATCH];
    di_results results = di_results_default();
    size_t i, failed = 0;
    static const unsigned char empty = 0;
    for (i = 0; i < count; ++i) {
        buffers[i] = read_file(paths[i], &images[i].size);
        /* An unreadable file goes in as an empty image: the call reports it alone. */
        images[i].data = buffers[i] ? (const void *)buffers[i] : (const void *)&empty;
    }
    results.predictions = predictions;
    results.statuses = statuses;
    results.messages = messages;
    if (di_model_predict_encoded_ex(model, images, count, NULL, &results) != DI_OK) {
        fprintf(stderr, "batch failed: %s\n", di_last_error_message());
        failed = count;
    } else {
        for (i = 0; i < count; ++i) {
            if (statuses[i] == DI_OK) {
                const char *label = "?";
                di_model_get_label(model, predictions[i].class_index, &label);
                printf("%s\t%s\t%.4f\n", paths[i], label, predictions[i].probability);
            } else {
                printf("%s\terror\t%s\n", paths[i], buffers[i] ? messages[i] : "cannot read the file");
                ++failed;
            }
        }
    }
    for (i = 0; i < count; ++i) free(buffers[i]);
    return failed;
}

int main(int argc, char **argv) {
    di_load_options options = di_load_options_default();
    di_model *model = NULL;
    file_list files;
    size_t start, failed = 0, i;
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL DIRECTORY\n", argv[0]);
        return 2;
    }
    options.num_threads = 0; /* all cores for each batch */
    if (di_model_load_file(argv[1], &options, &model) != DI_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], di_last_error_message());
        return 1;
    }
    if (list_files(argv[2], &files) != 0) {
        fprintf(stderr, "%s: cannot read the directory\n", argv[2]);
        di_model_free(model);
        return 1;
    }
    for (start = 0; start < files.count; start += BATCH) {
        size_t n = files.count - start < BATCH ? files.count - start : BATCH;
        failed += classify_batch(model, files.paths + start, n);
    }
    fprintf(stderr, "%zu files, %zu classified, %zu failed\n", files.count, files.count - failed, failed);
    for (i = 0; i < files.count; ++i) free(files.paths[i]);
    free(files.paths);
    di_model_free(model);
    return failed ? 1 : 0;
}

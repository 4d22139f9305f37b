/*
 * template.h - generated files from templates with @NAME@ placeholders.
 * Templates live as files under the data directory (zones/NAME.in, target
 * configs), never as long string literals in C.
 */
#ifndef DANELAB_TEMPLATE_H
#define DANELAB_TEMPLATE_H

/* One placeholder: "@name@" in the template becomes value. */
struct template_var {
	const char *name;
	const char *value;
};

/*
 * template_expand_file - read template path, replace every @NAME@ of
 * vars (an array of n), and write the result to out (mode 0644) through a
 * temporary file renamed into place.  An @NAME@ not in vars is an error.
 * Returns 0, or -1 after saying why (naming the file and line).
 */
int template_expand_file(const char *path, const char *out,
    const struct template_var *vars, int n);

/* template_datadir - where zones/, certs/, scenarios/ are; borrowed */
const char *template_datadir(void);

/*
 * template_rel_file - a file under the data directory relative to it
 * ("scenarios/smtp/mx.scn"), else under the working directory relative
 * to that, else as given: how a scenario file is named to the user
 * (borrowed from file)
 */
const char *template_rel_file(const char *file);

/* file_write - write len bytes to path via a temporary file; 0 or -1 */
int file_write(const char *path, const char *data, size_t len);

/* file_mkdirs - make dir and its parents (mode 0755); 0, or -1 after saying why */
int file_mkdirs(const char *dir);

/* file_rmtree - remove path and everything below it (absent is fine,
 * symbolic links are not followed); 0, or -1 with errno */
int file_rmtree(const char *path);

/* file_read - the whole file, NUL-terminated, or NULL with errno; caller frees */
char *file_read(const char *path, size_t *len);

#endif

/* template.c - @NAME@ substitution and whole-file helpers */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mem.h"
#include "msg.h"
#include "template.h"

char *
file_read(const char *path, size_t *lenp)
{
	struct buf b = { 0 };
	char chunk[65536];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	if (ferror(fp)) {
		int saved = errno;

		fclose(fp);
		buf_free(&b);
		errno = saved;
		return NULL;
	}
	fclose(fp);
	if (b.data == NULL)
		buf_append(&b, "", 0);
	if (lenp)
		*lenp = b.len;
	return b.data;
}

int
file_write(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *fp;
	int ret = -1;

	if ((fp = fopen(tmp, "w")) == NULL) {
		msg_warn("cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
		msg_warn("cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		msg_warn("cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

int
template_expand_file(const char *path, const char *out,
    const struct template_var *vars, int n)
{
	struct buf b = { 0 };
	char *text, *p;
	int line = 1, ret = -1;

	if ((text = file_read(path, NULL)) == NULL) {
		msg_warn("cannot read template %s: %s", path, strerror(errno));
		return -1;
	}
	for (p = text; *p; p++) {
		char *end;
		int i;

		if (*p == '\n')
			line++;
		if (*p != '@' || (end = strchr(p + 1, '@')) == NULL
		    || end == p + 1 || strcspn(p + 1, " \t\n") < (size_t)(end - p - 1)) {
			buf_append(&b, p, 1);
			continue;
		}
		for (i = 0; i < n; i++)
			if (strlen(vars[i].name) == (size_t)(end - p - 1)
			    && strncmp(vars[i].name, p + 1, end - p - 1) == 0)
				break;
		if (i == n) {
			msg_warn("%s:%d: unknown placeholder %.*s", path, line,
			    (int)(end - p + 1), p);
			goto out;
		}
		buf_append(&b, vars[i].value, strlen(vars[i].value));
		p = end;
	}
	if (b.data == NULL)
		buf_append(&b, "", 0);
	ret = file_write(out, b.data, b.len);
out:
	free(text);
	buf_free(&b);
	return ret;
}

/* datadir_ok - does dir look like danelab's data directory? */
static int
datadir_ok(const char *dir)
{
	char *probe = xasprintf("%s/zones/nsd.conf.in", dir);
	int ok = access(probe, R_OK) == 0;

	free(probe);
	return ok;
}

const char *
template_datadir(void)
{
	static char *dir;
	char exe[PATH_MAX];
	ssize_t n;

	if (dir)
		return dir;
	if (getenv("DANELAB_DATADIR") && *getenv("DANELAB_DATADIR"))
		return dir = xstrdup(getenv("DANELAB_DATADIR"));
	/* A build tree: the binary sits at the top of the source tree. */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		char *slash;

		exe[n] = 0;
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = 0;
			if (datadir_ok(exe))
				return dir = xstrdup(exe);
		}
	}
	return dir = xstrdup(DANELAB_DATADIR);
}
/* file_mkdirs - see template.h */
int
file_mkdirs(const char *dir)
{
	char *p = xstrdup(dir), *s;
	int ret = 0;

	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;

			*s = 0;
			if (mkdir(p, 0755) != 0 && errno != EEXIST) {
				msg_warn("cannot make directory %s: %s", p,
				    strerror(errno));
				ret = -1;
				break;
			}
			if ((*s = c) == 0)
				break;
		}
	}
	free(p);
	return ret;
}

/* file_rm - remove one entry, for nftw (depth first) */
static int
file_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int
file_rmtree(const char *path)
{
	if (nftw(path, file_rm, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return errno == ENOENT ? 0 : -1;
	return 0;
}

/* template_under - file's part after the directory dir, or NULL */
static const char *
template_under(const char *file, const char *dir)
{
	size_t n = strlen(dir);

	return n > 1 && strncmp(file, dir, n) == 0 && file[n] == '/'
	    && file[n + 1] ? file + n + 1 : NULL;
}

const char *
template_rel_file(const char *file)
{
	char cwd[PATH_MAX];
	const char *rel = template_under(file, template_datadir());

	if (rel == NULL && getcwd(cwd, sizeof(cwd)) != NULL)
		rel = template_under(file, cwd);
	return rel ? rel : file;
}

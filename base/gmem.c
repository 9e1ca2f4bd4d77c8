// SPDX-License-Identifier: MIT
// Guest memory: the one place that turns a guest-physical address into a host pointer.
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/gmem.h"

int gmem_init_regions(struct gmem *gm, const struct gmem_region *regions, unsigned int nr)
{
	uint64_t prev_end = 0;

	if (nr == 0 || nr > GMEM_MAX_REGIONS)
		return -EINVAL;
	memset(gm, 0, sizeof(*gm));
	gm->memfd = -1;
	for (unsigned int i = 0; i < nr; i++) {
		uint64_t end;

		if (regions[i].size == 0 || __builtin_add_overflow(regions[i].gpa, regions[i].size, &end))
			return -EINVAL;
		if (i > 0 && regions[i].gpa < prev_end)
			return -EINVAL;
		prev_end = end;
		gm->regions[i] = regions[i];
	}
	gm->nr_regions = nr;
	return 0;
}

int gmem_init(struct gmem *gm, const struct gmem_region *layout, unsigned int nr)
{
	struct gmem_region r[GMEM_MAX_REGIONS];
	uint64_t size = 0;
	uint8_t *host;
	int fd, err;

	if (nr == 0 || nr > GMEM_MAX_REGIONS)
		return -EINVAL;
	for (unsigned int i = 0; i < nr; i++)
		if (__builtin_add_overflow(size, layout[i].size, &size))
			return -EINVAL;
	if (size == 0 || size > (1ULL << 46))
		return -EINVAL;
	fd = memfd_create("minnow-ram", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (host == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	size = 0;
	for (unsigned int i = 0; i < nr; i++) {
		r[i] = (struct gmem_region){ layout[i].gpa, layout[i].size, host + size };
		size += layout[i].size;
	}
	err = gmem_init_regions(gm, r, nr);
	if (err) {
		munmap(host, size);
		close(fd);
		return err;
	}
	gm->memfd = fd;
	gm->mapping = host;
	gm->mapping_size = size;
	return 0;
}

void gmem_destroy(struct gmem *gm)
{
	if (gm->mapping)
		munmap(gm->mapping, gm->mapping_size);
	if (gm->memfd >= 0)
		close(gm->memfd);
	memset(gm, 0, sizeof(*gm));
	gm->memfd = -1;
}

void *gmem_ptr(const struct gmem *gm, gpa_t gpa, uint64_t len)
{
	uint64_t end;

	if (len == 0 || __builtin_add_overflow(gpa.v, len, &end))
		return NULL;
	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		const struct gmem_region *r = &gm->regions[i];

		/* r->gpa + r->size cannot overflow: checked when the region was added. */
		if (gpa.v >= r->gpa && end <= r->gpa + r->size)
			return r->host + (gpa.v - r->gpa);
	}
	return NULL;
}

int gmem_read(const struct gmem *gm, void *dst, gpa_t gpa, uint64_t len)
{
	const void *src = gmem_ptr(gm, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int gmem_write(const struct gmem *gm, gpa_t gpa, const void *src, uint64_t len)
{
	void *dst = gmem_ptr(gm, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

uint64_t gmem_size(const struct gmem *gm)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < gm->nr_regions; i++)
		total += gm->regions[i].size;
	return total;
}

uint64_t gmem_low_end(const struct gmem *gm)
{
	if (gm->nr_regions && gm->regions[0].gpa == 0)
		return gm->regions[0].size;
	return 0;
}

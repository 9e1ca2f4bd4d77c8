// SPDX-License-Identifier: MIT
// Finds the FADT's power registers the way Linux does: RSDP -> XSDT -> FACP.
#include "acpi.h"
#include "entry.h"

#define GAS_IO 1

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static bool in_map(uint64_t addr, uint64_t len)
{
	return addr >= 0x1000 && len <= PROBE_IDENTITY_LIMIT && addr <= PROBE_IDENTITY_LIMIT - len;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* An I/O-space Generic Address Structure's port, or 0. */
static uint16_t gas_port(const uint8_t *g)
{
	uint64_t addr = rd64(g + 4);

	return g[0] == GAS_IO && addr && addr <= 0xffff ? (uint16_t)addr : 0;
}

/* A table at addr with signature sig whose checksum holds, or NULL. */
static const uint8_t *table(uint64_t addr, const char *sig)
{
	const uint8_t *t = (const uint8_t *)addr;
	uint32_t len;

	if (!in_map(addr, 36) || memcmp(t, sig, 4) != 0)
		return 0;
	len = rd32(t + 4);
	if (len < 36 || !in_map(addr, len) || sum(t, len) != 0)
		return 0;
	return t;
}

const char *acpi_find_power(uint64_t rsdp_addr, struct acpi_power *out)
{
	const uint8_t *rsdp = (const uint8_t *)rsdp_addr, *xsdt, *fadt = 0;

	if (!rsdp_addr)
		return "no RSDP in start_info";
	if (!in_map(rsdp_addr, 36) || memcmp(rsdp, "RSD PTR ", 8) != 0 || sum(rsdp, 20) != 0 ||
	    rsdp[15] < 2 || sum(rsdp, 36) != 0)
		return "bad RSDP";
	xsdt = table(rd64(rsdp + 24), "XSDT");
	if (!xsdt)
		return "bad XSDT";
	for (uint32_t off = 36; off + 8 <= rd32(xsdt + 4) && !fadt; off += 8)
		fadt = table(rd64(xsdt + off), "FACP");
	if (!fadt || rd32(fadt + 4) < 268)
		return "no FADT (rev 5+) in the XSDT";
	out->reset_port = gas_port(fadt + 116);
	out->reset_value = fadt[128];
	out->sleep_control_port = gas_port(fadt + 244);
	out->sleep_status_port = gas_port(fadt + 256);
	if (!out->reset_port || !out->sleep_control_port || !out->sleep_status_port)
		return "FADT lacks I/O reset or sleep registers";
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * guard-synflood: TCP SYNs from many source addresses, written as whole
 * Ethernet frames on a packet socket, for the guard's tests and bench.
 *
 *   guard-synflood -i IF -m DSTMAC -d DST -p PORT -s FIRST_SRC -n NSRC
 *                  [-c PER_SRC] [-t SECONDS] [-r PPS]
 *
 * Sources are FIRST_SRC, FIRST_SRC+1, ... (NSRC of them, IPv4 or IPv6 like
 * DST), taken in turn: PER_SRC rounds (default 10), at most SECONDS
 * (default 10) and PPS packets per second (default 0: as fast as the
 * socket takes them).  Prints "sent N".  Needs CAP_NET_RAW.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct flood {
	int sock, family;
	struct sockaddr_ll to;
	uint8_t src_mac[6];
	uint8_t dst[16], first[16];
	uint16_t port;
	unsigned long nsrc, per_src, seconds, pps;
};

static uint32_t sum16(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;

	for (; len > 1; p += 2, len -= 2)
		sum += (p[0] << 8) | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* @base + @k in the address's last 32 bits */
static void nth_addr(const uint8_t *base, size_t alen, unsigned long k,
		     uint8_t *out)
{
	uint32_t last;

	memcpy(out, base, alen);
	memcpy(&last, out + alen - 4, 4);
	last = htonl(ntohl(last) + k);
	memcpy(out + alen - 4, &last, 4);
}

static void fill_tcp(struct tcphdr *th, uint16_t sport, uint16_t dport)
{
	memset(th, 0, sizeof(*th));
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(0x5ca1ab1e ^ sport);
	th->doff = 5;
	th->syn = 1;
	th->window = htons(64240);
}

/* One SYN from source @k into @frame; its length. */
static size_t build(const struct flood *f, unsigned long k, uint16_t sport,
		    uint8_t *frame)
{
	struct ether_header *eth = (void *)frame;
	size_t alen = f->family == AF_INET ? 4 : 16;
	uint8_t src[16];
	uint32_t ps;

	memcpy(eth->ether_dhost, f->to.sll_addr, 6);
	memcpy(eth->ether_shost, f->src_mac, 6);
	nth_addr(f->first, alen, k, src);
	if (f->family == AF_INET) {
		struct ip *ip = (void *)(eth + 1);
		struct tcphdr *th = (void *)(ip + 1);

		eth->ether_type = htons(ETHERTYPE_IP);
		memset(ip, 0, sizeof(*ip));
		ip->ip_v = 4;
		ip->ip_hl = 5;
		ip->ip_len = htons(sizeof(*ip) + sizeof(*th));
		ip->ip_ttl = 64;
		ip->ip_p = IPPROTO_TCP;
		memcpy(&ip->ip_src, src, 4);
		memcpy(&ip->ip_dst, f->dst, 4);
		ip->ip_sum = fold(sum16(ip, sizeof(*ip), 0));
		fill_tcp(th, sport, f->port);
		ps = sum16(src, 4, sum16(f->dst, 4, IPPROTO_TCP + sizeof(*th)));
		th->check = fold(sum16(th, sizeof(*th), ps));
		return sizeof(*eth) + sizeof(*ip) + sizeof(*th);
	} else {
		struct ip6_hdr *ip6 = (void *)(eth + 1);
		struct tcphdr *th = (void *)(ip6 + 1);

		eth->ether_type = htons(ETHERTYPE_IPV6);
		memset(ip6, 0, sizeof(*ip6));
		ip6->ip6_flow = htonl(6 << 28);
		ip6->ip6_plen = htons(sizeof(*th));
		ip6->ip6_nxt = IPPROTO_TCP;
		ip6->ip6_hlim = 64;
		memcpy(&ip6->ip6_src, src, 16);
		memcpy(&ip6->ip6_dst, f->dst, 16);
		fill_tcp(th, sport, f->port);
		ps = sum16(src, 16,
			   sum16(f->dst, 16, IPPROTO_TCP + sizeof(*th)));
		th->check = fold(sum16(th, sizeof(*th), ps));
		return sizeof(*eth) + sizeof(*ip6) + sizeof(*th);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long run(struct flood *f)
{
	unsigned long sent = 0, round, k;
	double start = now_s(), t;
	uint8_t frame[128];
	size_t len;

	for (round = 0; round < f->per_src; round++) {
		for (k = 0; k < f->nsrc; k++) {
			t = now_s() - start;
			if (t > f->seconds)
				return sent;
			/* paced: wait until this packet's turn */
			while (f->pps && sent > t * f->pps) {
				usleep(200);
				t = now_s() - start;
			}
			len = build(f, k, 1024 + (sent % 60000), frame);
			if (sendto(f->sock, frame, len, 0,
				   (struct sockaddr *)&f->to,
				   sizeof(f->to)) == (ssize_t)len) {
				sent++;
				continue;
			}
			if (errno != ENOBUFS && errno != EAGAIN)
				return sent;
			/* A full queue (a busy machine): this packet again,
			 * so every source sends its count (bounded by
			 * f->seconds above). */
			usleep(200);
			k--;
		}
	}
	return sent;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6
		       ? 0
		       : -EINVAL;
}

static int open_if(struct flood *f, const char *ifname)
{
	struct ifreq ifr = {};

	f->sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (f->sock < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(f->sock, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(f->src_mac, ifr.ifr_hwaddr.sa_data, 6);
	f->to.sll_family = AF_PACKET;
	f->to.sll_ifindex = if_nametoindex(ifname);
	f->to.sll_halen = 6;
	return f->to.sll_ifindex ? 0 : -ENODEV;
}

int main(int argc, char **argv)
{
	struct flood f = {.per_src = 10, .seconds = 10};
	const char *ifname = NULL, *dst = NULL, *src = NULL;
	int c, fam2 = 0, ret;

	while ((c = getopt(argc, argv, "i:m:d:p:s:n:c:t:r:")) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, f.to.sll_addr))
				goto usage;
			break;
		case 'd':
			dst = optarg;
			break;
		case 'p':
			f.port = atoi(optarg);
			break;
		case 's':
			src = optarg;
			break;
		case 'n':
			f.nsrc = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			f.per_src = strtoul(optarg, NULL, 10);
			break;
		case 't':
			f.seconds = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			f.pps = strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (!ifname || !dst || !src || !f.port || !f.nsrc)
		goto usage;
	f.family = strchr(dst, ':') ? AF_INET6 : AF_INET;
	fam2 = strchr(src, ':') ? AF_INET6 : AF_INET;
	if (fam2 != f.family || inet_pton(f.family, dst, f.dst) != 1 ||
	    inet_pton(f.family, src, f.first) != 1)
		goto usage;
	ret = open_if(&f, ifname);
	if (ret) {
		fprintf(stderr, "guard-synflood: %s: %s\n", ifname,
			strerror(-ret));
		return 1;
	}
	printf("sent %lu\n", run(&f));
	close(f.sock);
	return 0;
usage:
	fprintf(stderr, "usage: guard-synflood -i IF -m DSTMAC -d DST -p PORT "
			"-s FIRST_SRC -n NSRC [-c PER_SRC] [-t SECONDS] "
			"[-r PPS]\n");
	return 1;
}

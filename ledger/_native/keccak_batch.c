/*
 * Batched Keccak-256 for payout Merkle trees: hashing millions of leaves one Python call at a
 * time costs ~1.5 us of interpreter overhead per hash; these loops cost ~0.3 us.
 *
 * The permutation is the standard Keccak-f[1600] in the register-resident form of the Keccak
 * team's public-domain "simple" 64-bit implementation (two rounds per iteration, lanes in locals). Lanes are read and written little-endian via memcpy, so this assumes a
 * little-endian host (x86-64, aarch64); ledger/_native/__init__.py checks the byte order and the
 * results against safe-pysha3 before using the library.
 */
#define _GNU_SOURCE /* qsort_r */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RATE 136 /* bytes absorbed per permutation for Keccak-256 */

static const uint64_t keccakf_rndc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};
#define ROL(a, n) (((a) << (n)) | ((a) >> (64 - (n))))

/* One round from lanes A* into lanes E*: theta, rho, pi, chi, iota with every lane in a local,
 * in the structure of the Keccak team's "simple" 64-bit implementation. */
#define ROUND(A, E, rc)                                                                        \
    Ca = A##ba ^ A##ga ^ A##ka ^ A##ma ^ A##sa;                                                \
    Ce = A##be ^ A##ge ^ A##ke ^ A##me ^ A##se;                                                \
    Ci = A##bi ^ A##gi ^ A##ki ^ A##mi ^ A##si;                                                \
    Co = A##bo ^ A##go ^ A##ko ^ A##mo ^ A##so;                                                \
    Cu = A##bu ^ A##gu ^ A##ku ^ A##mu ^ A##su;                                                \
    Da = Cu ^ ROL(Ce, 1);                                                                      \
    De = Ca ^ ROL(Ci, 1);                                                                      \
    Di = Ce ^ ROL(Co, 1);                                                                      \
    Do = Ci ^ ROL(Cu, 1);                                                                      \
    Du = Co ^ ROL(Ca, 1);                                                                      \
    Ba = A##ba ^ Da;                                                                           \
    Be = ROL(A##ge ^ De, 44);                                                                  \
    Bi = ROL(A##ki ^ Di, 43);                                                                  \
    Bo = ROL(A##mo ^ Do, 21);                                                                  \
    Bu = ROL(A##su ^ Du, 14);                                                                  \
    E##ba = Ba ^ ((~Be) & Bi) ^ (rc);                                                          \
    E##be = Be ^ ((~Bi) & Bo);                                                                 \
    E##bi = Bi ^ ((~Bo) & Bu);                                                                 \
    E##bo = Bo ^ ((~Bu) & Ba);                                                                 \
    E##bu = Bu ^ ((~Ba) & Be);                                                                 \
    Ba = ROL(A##bo ^ Do, 28);                                                                  \
    Be = ROL(A##gu ^ Du, 20);                                                                  \
    Bi = ROL(A##ka ^ Da, 3);                                                                   \
    Bo = ROL(A##me ^ De, 45);                                                                  \
    Bu = ROL(A##si ^ Di, 61);                                                                  \
    E##ga = Ba ^ ((~Be) & Bi);                                                                 \
    E##ge = Be ^ ((~Bi) & Bo);                                                                 \
    E##gi = Bi ^ ((~Bo) & Bu);                                                                 \
    E##go = Bo ^ ((~Bu) & Ba);                                                                 \
    E##gu = Bu ^ ((~Ba) & Be);                                                                 \
    Ba = ROL(A##be ^ De, 1);                                                                   \
    Be = ROL(A##gi ^ Di, 6);                                                                   \
    Bi = ROL(A##ko ^ Do, 25);                                                                  \
    Bo = ROL(A##mu ^ Du, 8);                                                                   \
    Bu = ROL(A##sa ^ Da, 18);                                                                  \
    E##ka = Ba ^ ((~Be) & Bi);                                                                 \
    E##ke = Be ^ ((~Bi) & Bo);                                                                 \
    E##ki = Bi ^ ((~Bo) & Bu);                                                                 \
    E##ko = Bo ^ ((~Bu) & Ba);                                                                 \
    E##ku = Bu ^ ((~Ba) & Be);                                                                 \
    Ba = ROL(A##bu ^ Du, 27);                                                                  \
    Be = ROL(A##ga ^ Da, 36);                                                                  \
    Bi = ROL(A##ke ^ De, 10);                                                                  \
    Bo = ROL(A##mi ^ Di, 15);                                                                  \
    Bu = ROL(A##so ^ Do, 56);                                                                  \
    E##ma = Ba ^ ((~Be) & Bi);                                                                 \
    E##me = Be ^ ((~Bi) & Bo);                                                                 \
    E##mi = Bi ^ ((~Bo) & Bu);                                                                 \
    E##mo = Bo ^ ((~Bu) & Ba);                                                                 \
    E##mu = Bu ^ ((~Ba) & Be);                                                                 \
    Ba = ROL(A##bi ^ Di, 62);                                                                  \
    Be = ROL(A##go ^ Do, 55);                                                                  \
    Bi = ROL(A##ku ^ Du, 39);                                                                  \
    Bo = ROL(A##ma ^ Da, 41);                                                                  \
    Bu = ROL(A##se ^ De, 2);                                                                   \
    E##sa = Ba ^ ((~Be) & Bi);                                                                 \
    E##se = Be ^ ((~Bi) & Bo);                                                                 \
    E##si = Bi ^ ((~Bo) & Bu);                                                                 \
    E##so = Bo ^ ((~Bu) & Ba);                                                                 \
    E##su = Bu ^ ((~Ba) & Be);

static void keccakf(uint64_t st[25]) {
    uint64_t Aba = st[0], Abe = st[1], Abi = st[2], Abo = st[3], Abu = st[4];
    uint64_t Aga = st[5], Age = st[6], Agi = st[7], Ago = st[8], Agu = st[9];
    uint64_t Aka = st[10], Ake = st[11], Aki = st[12], Ako = st[13], Aku = st[14];
    uint64_t Ama = st[15], Ame = st[16], Ami = st[17], Amo = st[18], Amu = st[19];
    uint64_t Asa = st[20], Ase = st[21], Asi = st[22], Aso = st[23], Asu = st[24];
    uint64_t Eba, Ebe, Ebi, Ebo, Ebu, Ega, Ege, Egi, Ego, Egu, Eka, Eke, Eki, Eko, Eku;
    uint64_t Ema, Eme, Emi, Emo, Emu, Esa, Ese, Esi, Eso, Esu;
    uint64_t Ca, Ce, Ci, Co, Cu, Da, De, Di, Do, Du, Ba, Be, Bi, Bo, Bu;
    for (int round = 0; round < 24; round += 2) {
        ROUND(A, E, keccakf_rndc[round])
        ROUND(E, A, keccakf_rndc[round + 1])
    }
    st[0] = Aba; st[1] = Abe; st[2] = Abi; st[3] = Abo; st[4] = Abu;
    st[5] = Aga; st[6] = Age; st[7] = Agi; st[8] = Ago; st[9] = Agu;
    st[10] = Aka; st[11] = Ake; st[12] = Aki; st[13] = Ako; st[14] = Aku;
    st[15] = Ama; st[16] = Ame; st[17] = Ami; st[18] = Amo; st[19] = Amu;
    st[20] = Asa; st[21] = Ase; st[22] = Asi; st[23] = Aso; st[24] = Asu;
}

/* Keccak-256 of a message shorter than one rate block (all callers here: 32, 64, 128 bytes). */
static void keccak256_short(const uint8_t *msg, size_t len, uint8_t out[32]) {
    uint64_t st[25] = {0};
    uint8_t *bytes = (uint8_t *)st;
    memcpy(bytes, msg, len);
    bytes[len] ^= 0x01;
    bytes[RATE - 1] ^= 0x80;
    keccakf(st);
    memcpy(out, bytes, 32);
}

/* Returns 1 on a little-endian host; the Python side refuses the library otherwise. */
int lineage_little_endian(void) {
    const uint16_t probe = 1;
    return *(const uint8_t *)&probe == 1;
}

/* Plain keccak256 of `len` (< 136) bytes, for the self-check against safe-pysha3. */
int lineage_keccak256(const uint8_t *msg, size_t len, uint8_t out[32]) {
    if (len >= RATE) return -1;
    keccak256_short(msg, len, out);
    return 0;
}

/* StandardMerkleTree leaf hashes: out[i] = keccak256(keccak256(encoded[i])), where encoded[i]
 * is the 128-byte abi.encode of the i-th leaf. */
void lineage_hash_leaves(const uint8_t *encoded, size_t count, uint8_t *out) {
    uint8_t inner[32];
    for (size_t i = 0; i < count; i++) {
        keccak256_short(encoded + 128 * i, 128, inner);
        keccak256_short(inner, 32, out + 32 * i);
    }
}

static int compare_hashes(const void *a, const void *b, void *base) {
    const uint8_t *hashes = base;
    const uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;
    int c = memcmp(hashes + 32 * (size_t)ia, hashes + 32 * (size_t)ib, 32);
    if (c != 0) return c;
    return (ia > ib) - (ia < ib); /* equal hashes: keep the given order (stable) */
}

static void hash_node(uint8_t *tree, size_t i) {
    uint8_t pair[64];
    const uint8_t *left = tree + 32 * (2 * i + 1), *right = tree + 32 * (2 * i + 2);
    if (memcmp(left, right, 32) <= 0) {
        memcpy(pair, left, 32);
        memcpy(pair + 32, right, 32);
    } else {
        memcpy(pair, right, 32);
        memcpy(pair + 32, left, 32);
    }
    keccak256_short(pair, 64, tree + 32 * i);
}

/* OpenZeppelin's array layout: tree has 2n-1 nodes of 32 bytes; the leaf hashes, sorted
 * ascending, fill the tail in reverse (rank r at node 2n-2-r); tree_index[p] receives the node of
 * the p-th given leaf. Inner nodes are left for lineage_hash_subtree. Returns 0, or -1 when memory
 * runs out. Reentrant. */
int lineage_place_leaves(const uint8_t *leaf_hashes, size_t count, uint8_t *tree,
                         uint32_t *tree_index) {
    if (count == 0) return 0;
    uint32_t *order = malloc(sizeof(uint32_t) * count);
    if (order == NULL) return -1;
    for (size_t p = 0; p < count; p++) order[p] = (uint32_t)p;
    qsort_r(order, count, sizeof(uint32_t), compare_hashes, (void *)leaf_hashes);
    const size_t size = 2 * count - 1;
    for (size_t rank = 0; rank < count; rank++) {
        const size_t node = size - 1 - rank;
        memcpy(tree + 32 * node, leaf_hashes + 32 * (size_t)order[rank], 32);
        tree_index[order[rank]] = (uint32_t)node;
    }
    free(order);
    return 0;
}

/* Hashes every inner node of the subtree under `top` (itself included), deepest level first:
 * node i is the keccak of its children 2i+1 and 2i+2, smaller first. The subtrees under nodes 1
 * and 2 share no node, so two threads can fill them at once. */
void lineage_hash_subtree(uint8_t *tree, size_t count, size_t top) {
    if (count < 2 || top > count - 2) return;
    const size_t last_inner = count - 2;
    size_t firsts[64], widths[64];
    int levels = 0;
    for (size_t first = top, width = 1; first <= last_inner && levels < 64; levels++) {
        firsts[levels] = first;
        widths[levels] = width;
        first = 2 * first + 1;
        width *= 2;
    }
    for (int level = levels - 1; level >= 0; level--) {
        size_t end = firsts[level] + widths[level] - 1;
        if (end > last_inner) end = last_inner;
        for (size_t i = firsts[level]; i <= end; i++) hash_node(tree, i);
    }
}

/* The whole tree in one call: lineage_place_leaves, then every inner node. */
int lineage_build_tree(const uint8_t *leaf_hashes, size_t count, uint8_t *tree,
                       uint32_t *tree_index) {
    if (lineage_place_leaves(leaf_hashes, count, tree, tree_index) != 0) return -1;
    lineage_hash_subtree(tree, count, 0);
    return 0;
}

/* recorders/profile: the hand-written encoders - Python's marshal format,
   protobuf's wire format and the gzip stream - byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <zlib.h>

#include "../../plugins/recorders/profile/marshal.h"
#include "../../plugins/recorders/profile/protobuf.h"
#include "../../plugins/recorders/profile/sink.h"
#include "fakehost.h"

/* `b` holds the bytes the hex string spells. */
static void assert_hex(const struct bytes *b, const char *hex)
{
    char got[1024] = "";
    cr_assert_not(b->failed);
    for (size_t i = 0; i < b->len && 2 * i + 2 < sizeof(got); i++)
        snprintf(got + 2 * i, 3, "%02x", b->data[i]);
    cr_assert_str_eq(got, hex);
}

/*
 * The expected bytes are what CPython 3.11's marshal gives, printed once
 * by hand with
 *     python3 -c 'import marshal; print(marshal.dumps(VALUE, 2).hex())'
 * (format version 2: the one these encoders write).
 */
Test(marshal, ints_as_python_writes_them)
{
    struct bytes b = {0};
    marshal_int(&b, 2147483647); /* the largest TYPE_INT */
    assert_hex(&b, "69ffffff7f");
    bytes_clear(&b);
    marshal_int(&b, -2147483648LL);
    assert_hex(&b, "6900000080");
    bytes_clear(&b);
    marshal_int(&b, 2147483648LL); /* TYPE_LONG, 15-bit digits */
    assert_hex(&b, "6c03000000000000000200");
    bytes_clear(&b);
    marshal_int(&b, -2147483649LL);
    assert_hex(&b, "6cfdffffff010000000200");
    bytes_clear(&b);
    marshal_int(&b, 1099511627781LL); /* 2**40 + 5 */
    assert_hex(&b, "6c03000000050000000004");
    bytes_clear(&b);
    marshal_int(&b, -4611686018427387904LL); /* -(2**62) */
    assert_hex(&b, "6cfbffffff00000000000000000400");
    bytes_free(&b);
}

Test(marshal, floats_and_strings_as_python_writes_them)
{
    struct bytes b = {0};
    marshal_float(&b, 0.5);
    assert_hex(&b, "67000000000000e03f");
    bytes_clear(&b);
    marshal_float(&b, 1e-9);
    assert_hex(&b, "6795d626e80b2e113e");
    bytes_clear(&b);
    marshal_str(&b, "abc", 3);
    assert_hex(&b, "7503000000616263");
    bytes_clear(&b);
    marshal_str(&b, "\xc3\xa9", 2); /* 'é' */
    assert_hex(&b, "7502000000c3a9");
    bytes_free(&b);
}

Test(marshal, a_pstats_entry_as_python_writes_it)
{
    /* {('a', 1, 'f'): (1, 2, 0.25, 0.5, {})} */
    struct bytes b = {0};
    marshal_dict_begin(&b);
    marshal_tuple(&b, 3);
    marshal_str(&b, "a", 1);
    marshal_int(&b, 1);
    marshal_str(&b, "f", 1);
    marshal_tuple(&b, 5);
    marshal_int(&b, 1);
    marshal_int(&b, 2);
    marshal_float(&b, 0.25);
    marshal_float(&b, 0.5);
    marshal_dict_begin(&b);
    marshal_dict_end(&b);
    marshal_dict_end(&b);
    assert_hex(&b, "7b28030000007501000000616901000000750100000066280500000069"
                   "01000000690200000067000000000000d03f67000000000000e03f7b30"
                   "30");
    bytes_free(&b);
}

/* Protocol buffers' encoding guide (protobuf.dev, "Encoding"): 150 in
   field 1 is 08 96 01; "testing" in field 2 is 12 07 74 65 73 74 69 6e
   67; packed [3, 270, 86942] in field 4 is 22 06 03 8e 02 9e a7 05. */
Test(protobuf, the_encoding_guides_examples)
{
    struct bytes b = {0};
    pb_uint_field(&b, 1, 150);
    assert_hex(&b, "089601");
    bytes_clear(&b);
    pb_bytes_field(&b, 2, "testing", 7);
    assert_hex(&b, "120774657374696e67");
    bytes_clear(&b);
    uint64_t packed[] = {3, 270, 86942};
    pb_packed_field(&b, 4, packed, 3);
    assert_hex(&b, "2206038e029ea705");
    bytes_clear(&b);
    pb_varint(&b, UINT64_MAX); /* ten bytes; an int64 -1 too */
    assert_hex(&b, "ffffffffffffffffff01");
    bytes_clear(&b);
    pb_uint_field(&b, 14, 0); /* a key past field 15 takes two bytes at 16 */
    pb_uint_field(&b, 16, 1);
    assert_hex(&b, "70008001"
                   "01");
    bytes_free(&b);
}

/* ------------------------------------------------------------ gzip */

struct memory_sink {
    struct sink sink;
    struct bytes got;
};

static int memory_write(struct sink *sink, const void *data, size_t len)
{
    bytes_put(&((struct memory_sink *)sink)->got, data, len);
    return PIKOS_OK;
}

Test(gzip, what_goes_in_comes_out_of_zlibs_gunzip)
{
    struct fake_instance *fi = fake_instance_new(
        &(struct pikos_plugin){.name = "probe", .kind = PIKOS_KIND_RECORDER},
        NULL);
    struct memory_sink mem = {{memory_write}, {0}};
    struct gzip_sink gz;
    cr_assert_eq(gzip_sink_open(&gz, &mem.sink, &fi->inst, &fake_host),
                 PIKOS_OK);
    size_t len = 300000; /* more than one output buffer */
    unsigned char *in = malloc(len);
    for (size_t i = 0; i < len; i++)
        in[i] = (unsigned char)((i * 7919) >> 5);
    for (size_t at = 0; at < len; at += 1000)
        cr_assert_eq(gz.sink.write(&gz.sink, in + at, 1000), PIKOS_OK);
    cr_assert_eq(gzip_sink_close(&gz), PIKOS_OK);
    cr_assert_eq(mem.got.data[0], 0x1f); /* the gzip magic */
    cr_assert_eq(mem.got.data[1], 0x8b);

    z_stream z = {0};
    cr_assert_eq(inflateInit2(&z, 15 + 16), Z_OK);
    unsigned char *out = malloc(len + 1);
    z.next_in = mem.got.data;
    z.avail_in = (uInt)mem.got.len;
    z.next_out = out;
    z.avail_out = (uInt)len + 1;
    cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
    cr_assert_eq(z.total_out, len);
    cr_assert_eq(memcmp(in, out, len), 0);
    inflateEnd(&z);
    free(in);
    free(out);
    bytes_free(&mem.got);
    fake_instance_free(fi);
}

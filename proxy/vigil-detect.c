/* vigil-detect.c: value detectors for free text, in one left-to-right pass.
 *
 * At each word start (the byte before is not [A-Za-z0-9_]) the byte there picks the few
 * candidates worth trying: a letter tries key prefixes, a JWT header, a URI with
 * credentials, a `keyword=` pair, an IBAN; a digit tries a number shape (card, SSN, NANP
 * phone); any alphanumeric tries an email and a high-entropy token; '+' tries E.164, '('
 * a NANP area code, '-' a PEM block. Candidates that scan a run (email local part, keyword
 * identifier, entropy token) remember how far they got, so a run is never rescanned from
 * each of its inner word starts: the pass stays linear even on adversarial input. They
 * also go on from the end of the word, which the dispatcher scans once for all of them, and
 * each candidate first rules itself out on what it can see cheaply (the byte after the
 * word, a key's first two bytes, a keyword's last byte, too few digits for any number).
 *
 * Decisions, so lookalikes stay untouched:
 * - Cards: 13-19 digits, Luhn, an issuer prefix with its lengths; groups of 3-6 digits
 *   separated by one consistent space or dash.
 * - SSN: AAA-GG-SSSS or AAA GG SSSS with SSA's validity rules. The bare 9-digit form only
 *   counts after a label ("ssn", "social security") in the 24 bytes before it, since bare
 *   9-digit numbers are mostly ids.
 * - NANP phones need separators or parentheses (a bare 10-digit run is an order number);
 *   E.164 needs the '+' and 8-15 digits.
 * - AWS key ids take [A-Z0-9] after the prefix: older ids are not strict base32.
 * - `password: word` with ':' and no quotes needs a digit, an upper-case letter after the
 *   first or a symbol in the value, so prose ("Token: expired") stays as it is.
 * - A PEM private key without its END line is masked to the end of the text.
 * - High-entropy tokens: at least 20 characters of [A-Za-z0-9+/_-] (plus '=' padding),
 *   letters and digits, not only hex (hashes, UUIDs), enough changes between lower, upper
 *   and digit, and a Shannon entropy near the maximum for the length.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-detect.h"
#include "vigil-types.h"

#define MAX_GROUPS        8
#define NUMBER_MIN_DIGITS 9  /* the fewest any number shape holds: SSN 9, NANP 10, card 13 */
#define SSN_LABEL_WINDOW  24
#define ENTROPY_MIN_LEN   20
#define MAX_SCHEME_LEN    32
#define MAX_QUOTED_VALUE  1024

typedef VigilDetectIter Scan;

typedef struct {
  guint  n;
  gsize  start[MAX_GROUPS];
  gsize  end[MAX_GROUPS];
  guchar sep[MAX_GROUPS];  /* sep[k] sits between groups k and k + 1 */
  guint  digits;           /* in the collected groups */
  gboolean more;           /* digits go on past the last collected group */
} Groups;

typedef enum {
  BODY_UPPER_DIGIT,
  BODY_ALNUM,
  BODY_WORD,
  BODY_B64URL,
  BODY_HEX,
  BODY_SLACK,
} BodyClass;

typedef struct {
  const char *prefix;
  guint       prefix_len;
  BodyClass   body;
  guint       min;
  guint       max;
} KeyPrefix;

static const char * const detector_names[VIGIL_N_DETECTORS] = {
  "generic", "email", "card", "ssn", "iban", "phone", "jwt", "private-key", "cloud-key",
  "password", "entropy",
};

/* Published prefixes and body lengths; longer prefixes first where one extends another. */
#define K(prefix) prefix, sizeof prefix - 1
static const KeyPrefix key_prefixes[] = {
  { K ("AKIA"), BODY_UPPER_DIGIT, 16, 16 }, { K ("ASIA"), BODY_UPPER_DIGIT, 16, 16 },
  { K ("AIDA"), BODY_UPPER_DIGIT, 16, 16 }, { K ("AROA"), BODY_UPPER_DIGIT, 16, 16 },
  { K ("AGPA"), BODY_UPPER_DIGIT, 16, 16 }, { K ("ANPA"), BODY_UPPER_DIGIT, 16, 16 },
  { K ("AIza"), BODY_B64URL, 35, 35 },
  { K ("AC"), BODY_HEX, 32, 32 }, { K ("SK"), BODY_HEX, 32, 32 },
  { K ("ghp_"), BODY_ALNUM, 36, 36 }, { K ("gho_"), BODY_ALNUM, 36, 36 },
  { K ("ghu_"), BODY_ALNUM, 36, 36 }, { K ("ghs_"), BODY_ALNUM, 36, 36 },
  { K ("ghr_"), BODY_ALNUM, 36, 36 }, { K ("github_pat_"), BODY_WORD, 82, 82 },
  { K ("xoxb-"), BODY_SLACK, 10, 255 }, { K ("xoxa-"), BODY_SLACK, 10, 255 },
  { K ("xoxp-"), BODY_SLACK, 10, 255 }, { K ("xoxr-"), BODY_SLACK, 10, 255 },
  { K ("xoxs-"), BODY_SLACK, 10, 255 }, { K ("xoxe-"), BODY_SLACK, 10, 255 },
  { K ("sk_live_"), BODY_ALNUM, 16, 247 }, { K ("sk_test_"), BODY_ALNUM, 16, 247 },
  { K ("rk_live_"), BODY_ALNUM, 16, 247 }, { K ("rk_test_"), BODY_ALNUM, 16, 247 },
  { K ("pk_live_"), BODY_ALNUM, 16, 247 }, { K ("pk_test_"), BODY_ALNUM, 16, 247 },
  { K ("sk-proj-"), BODY_B64URL, 20, 255 }, { K ("sk-"), BODY_B64URL, 20, 255 },
  { K ("ya29."), BODY_B64URL, 20, 2048 },
  { K ("vgl_"), BODY_B64URL, 43, 43 },
};

#define SLACK_HOOK "https://hooks.slack.com/"

/* Keywords whose value is a secret; matched as the tail of an identifier (db_password). */
static const struct {
  const char *word;
  gsize       len;
} secret_keywords[] = {
  { K ("aws_secret_access_key") }, { K ("access_token") }, { K ("password") }, { K ("passwd") },
  { K ("api_key") }, { K ("api-key") }, { K ("apikey") }, { K ("secret") }, { K ("token") },
  { K ("pwd") },
};

typedef struct {
  char  cc[3];
  guint len;
} IbanCountry;

static const IbanCountry iban_countries[] = {
  { "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 }, { "BA", 20 },
  { "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BI", 27 }, { "BR", 29 }, { "BY", 28 },
  { "CH", 21 }, { "CR", 22 }, { "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DJ", 27 },
  { "DK", 18 }, { "DO", 28 }, { "EE", 20 }, { "EG", 29 }, { "ES", 24 }, { "FI", 18 },
  { "FK", 18 }, { "FO", 18 }, { "FR", 27 }, { "GB", 22 }, { "GE", 22 }, { "GI", 23 },
  { "GL", 18 }, { "GR", 27 }, { "GT", 28 }, { "HR", 21 }, { "HU", 28 }, { "IE", 22 },
  { "IL", 23 }, { "IQ", 23 }, { "IS", 26 }, { "IT", 27 }, { "JO", 30 }, { "KW", 30 },
  { "KZ", 20 }, { "LB", 28 }, { "LC", 32 }, { "LI", 21 }, { "LT", 20 }, { "LU", 20 },
  { "LV", 21 }, { "LY", 25 }, { "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 },
  { "MN", 20 }, { "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NI", 28 }, { "NL", 18 },
  { "NO", 15 }, { "OM", 23 }, { "PK", 24 }, { "PL", 28 }, { "PS", 29 }, { "PT", 25 },
  { "QA", 29 }, { "RO", 24 }, { "RS", 22 }, { "RU", 33 }, { "SA", 24 }, { "SC", 31 },
  { "SD", 18 }, { "SE", 24 }, { "SI", 19 }, { "SK", 24 }, { "SM", 27 }, { "SO", 23 },
  { "ST", 25 }, { "SV", 28 }, { "TL", 23 }, { "TN", 24 }, { "TR", 26 }, { "UA", 29 },
  { "VA", 22 }, { "VG", 24 }, { "XK", 20 }, { "YE", 30 },
};

/* Lookup tables derived from key_prefixes and secret_keywords. vigil_detect_iter_init
 * builds them once, and every scan starts there, so the scan never has to check. */

#define KEY_OTHER (G_GUINT64_CONSTANT (1) << 63)
G_STATIC_ASSERT (G_N_ELEMENTS (key_prefixes) < 63);
G_STATIC_ASSERT (G_N_ELEMENTS (secret_keywords) <= 16);

static struct {
  /* Bit k: key_prefixes[k] has the byte first, or second. SendGrid's and Slack's bytes
   * too, with no bit of their own (KEY_OTHER). */
  guint64 key_first[256];
  guint64 key_second[256];
  /* Bit k: secret_keywords[k] ends in the byte. */
  guint16 keyword_last[256];
} tables;

/* Out of line: only the check in ensure_tables () belongs in vigil_detect_iter_init. */
G_GNUC_NO_INLINE static void
build_tables (void)
{
  for (gsize k = 0; k < G_N_ELEMENTS (key_prefixes); k++)
    {
      const char *prefix = key_prefixes[k].prefix;

      g_assert (key_prefixes[k].prefix_len >= 2);
      tables.key_first[(guchar) prefix[0]] |= G_GUINT64_CONSTANT (1) << k;
      tables.key_second[(guchar) prefix[1]] |= G_GUINT64_CONSTANT (1) << k;
    }
  tables.key_first['S'] |= KEY_OTHER;  /* SG. */
  tables.key_second['G'] |= KEY_OTHER;
  tables.key_first[(guchar) SLACK_HOOK[0]] |= KEY_OTHER;
  tables.key_second[(guchar) SLACK_HOOK[1]] |= KEY_OTHER;
  for (gsize k = 0; k < G_N_ELEMENTS (secret_keywords); k++)
    tables.keyword_last[(guchar) secret_keywords[k].word[secret_keywords[k].len - 1]] |= 1u << k;
}

static inline void
ensure_tables (void)
{
  static gsize ready;

  if (g_once_init_enter (&ready))
    {
      build_tables ();
      g_once_init_leave (&ready, 1);
    }
}

/* Character classes: one table lookup a byte instead of a chain of range tests. The
 * scanning loops below run over every byte of every value the proxy masks. */

enum {
  CH_DIGIT      = 1 << 0,
  CH_UPPER      = 1 << 1,
  CH_LOWER      = 1 << 2,
  CH_UNDERSCORE = 1 << 3,
  CH_DASH       = 1 << 4,
  CH_DOT        = 1 << 5,
  CH_PLUS       = 1 << 6,
  CH_SLASH      = 1 << 7,
  CH_PERCENT    = 1 << 8,

  CH_ALPHA      = CH_UPPER | CH_LOWER,
  CH_ALNUM      = CH_DIGIT | CH_ALPHA,
  CH_WORD       = CH_ALNUM | CH_UNDERSCORE,
  CH_B64URL     = CH_WORD | CH_DASH,
  CH_B64        = CH_B64URL | CH_PLUS | CH_SLASH,
  CH_LOCAL      = CH_ALNUM | CH_DOT | CH_UNDERSCORE | CH_PERCENT | CH_PLUS | CH_DASH,
  CH_IDENT      = CH_WORD | CH_DASH | CH_DOT,        /* db.password, x-api-key */
  CH_SCHEME     = CH_ALNUM | CH_PLUS | CH_DOT | CH_DASH,
};

static const guint16 char_class[256] = {
  ['0' ... '9'] = CH_DIGIT,
  ['A' ... 'Z'] = CH_UPPER,
  ['a' ... 'z'] = CH_LOWER,
  ['_'] = CH_UNDERSCORE,
  ['-'] = CH_DASH,
  ['.'] = CH_DOT,
  ['+'] = CH_PLUS,
  ['/'] = CH_SLASH,
  ['%'] = CH_PERCENT,
};

static inline gboolean
in_class (guchar c,
          guint  classes)
{
  return (char_class[c] & classes) != 0;
}

static inline gboolean
is_digit (guchar c)
{
  return in_class (c, CH_DIGIT);
}

static inline gboolean
is_upper (guchar c)
{
  return in_class (c, CH_UPPER);
}

static inline gboolean
is_lower (guchar c)
{
  return in_class (c, CH_LOWER);
}

static inline gboolean
is_alpha (guchar c)
{
  return in_class (c, CH_ALPHA);
}

static inline gboolean
is_alnum (guchar c)
{
  return in_class (c, CH_ALNUM);
}

static inline gboolean
is_word (guchar c)
{
  return in_class (c, CH_WORD);
}

static inline gboolean
is_b64url (guchar c)
{
  return in_class (c, CH_B64URL);
}

/* g_ascii_tolower, inlined: it runs for every identifier a value holds. */
static inline guchar
ascii_lower (guchar c)
{
  return is_upper (c) ? (guchar) (c - 'A' + 'a') : c;
}

static inline gboolean
is_space (guchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
in_body (BodyClass body,
         guchar    c)
{
  switch (body)
    {
    case BODY_UPPER_DIGIT: return is_upper (c) || is_digit (c);
    case BODY_ALNUM:       return is_alnum (c);
    case BODY_WORD:        return is_word (c);
    case BODY_B64URL:      return is_b64url (c);
    case BODY_HEX:         return g_ascii_isxdigit (c);
    case BODY_SLACK:       return is_alnum (c) || c == '-';
    default:               g_assert_not_reached ();
    }
}

static inline guchar
at (const Scan *sc,
    gsize       i)
{
  return i < sc->len ? sc->text[i] : '\0';
}

static gboolean
has_prefix (const Scan *sc,
            gsize       i,
            const char *prefix)
{
  gsize n = strlen (prefix);

  return sc->len - i >= n && memcmp (sc->text + i, prefix, n) == 0;
}

static gsize
find (const Scan *sc,
      gsize       from,
      const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = from; i + n <= sc->len; i++)
    if (sc->text[i] == (guchar) needle[0] && memcmp (sc->text + i, needle, n) == 0)
      return i;
  return G_MAXSIZE;
}

static gboolean
emit (Scan          *sc,
      VigilMatch    *m,
      gsize          start,
      gsize          end,
      VigilDetector  kind)
{
  g_assert (end > start && end <= sc->len);
  m->start = start;
  m->len = end - start;
  m->kind = kind;
  return TRUE;
}

static inline gboolean
enabled (const Scan    *sc,
         VigilDetector  kind)
{
  return (sc->enabled & (1u << kind)) != 0;
}

/* Where the word (the run of [A-Za-z0-9_]) at I ends. */
static inline gsize
end_of_word (const Scan *sc,
             gsize       i)
{
  while (i < sc->len && is_word (sc->text[i]))
    i++;
  return i;
}

/* The end of the run of CLASSES bytes from a word start whose word ends at WORD_END. The
 * dispatcher has scanned the word already, and each class used here holds every word byte,
 * so the run covers the word and the scan goes on from its end. */
static inline gsize
run_past_word (const Scan *sc,
               gsize       word_end,
               guint       classes)
{
  gsize j = word_end;

  while (j < sc->len && in_class (sc->text[j], classes))
    j++;
  return j;
}

G_STATIC_ASSERT ((CH_LOCAL & CH_WORD) == CH_WORD);
G_STATIC_ASSERT ((CH_IDENT & CH_WORD) == CH_WORD);
G_STATIC_ASSERT ((CH_B64 & CH_WORD) == CH_WORD);

/* Numbers: cards, SSNs, NANP phones */

/* Whether another group follows a digit run ending at J: one separator, then a digit. */
static inline gboolean
group_follows (const Scan *sc,
               gsize       j)
{
  return j + 1 < sc->len && is_digit (sc->text[j + 1]) &&
         (sc->text[j] == ' ' || sc->text[j] == '-' || sc->text[j] == '.');
}

static void
collect_groups (const Scan *sc,
                gsize       i,
                Groups     *g)
{
  g->n = 0;
  g->more = FALSE;
  g->digits = 0;
  for (;;)
    {
      gsize j = i;

      while (j < sc->len && is_digit (sc->text[j]))
        j++;
      g->digits += (guint) (j - i);
      g->start[g->n] = i;
      g->end[g->n] = j;
      g->sep[g->n] = 0;
      g->n++;
      if (!group_follows (sc, j))
        return;
      if (g->n == MAX_GROUPS)
        {
          g->more = TRUE;
          return;
        }
      g->sep[g->n - 1] = sc->text[j];
      i = j + 1;
    }
}

static inline gsize
group_len (const Groups *g,
           guint         k)
{
  return g->end[k] - g->start[k];
}

/* Whether the first K groups can stand alone: a word does not go on after them, and
 * only a space parts them from the groups that follow. */
static gboolean
prefix_ok (const Scan   *sc,
           const Groups *g,
           guint         k)
{
  if (is_word (at (sc, g->end[k - 1])))
    return FALSE;
  if (k < g->n)
    return g->sep[k - 1] == ' ';
  return !g->more;
}

static gboolean
seps_same (const Groups *g,
           guint         from,
           guint         k,
           const char   *allowed)
{
  guchar sep = from + 1 < k ? g->sep[from] : 0;

  if (sep != 0 && strchr (allowed, sep) == NULL)
    return FALSE;
  for (guint i = from; i + 1 < k; i++)
    if (g->sep[i] != sep)
      return FALSE;
  return TRUE;
}

static guint
group_digits (const Scan   *sc,
              const Groups *g,
              guint         from,
              guint         k,
              char         *buf,
              guint         max)
{
  guint n = 0;

  for (guint i = from; i < k; i++)
    for (gsize j = g->start[i]; j < g->end[i]; j++)
      {
        if (n == max)
          return max + 1;
        buf[n++] = (char) sc->text[j];
      }
  buf[n] = '\0';
  return n;
}

static gboolean
luhn_ok (const char *d,
         guint       n)
{
  guint sum = 0;

  for (guint i = 0; i < n; i++)
    {
      guint v = (guint) (d[n - 1 - i] - '0');

      if (i % 2 == 1)
        v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
  return sum % 10 == 0;
}

static guint
leading (const char *d,
         guint       digits)
{
  guint v = 0;

  for (guint i = 0; i < digits; i++)
    v = v * 10 + (guint) (d[i] - '0');
  return v;
}

static gboolean
card_issuer_ok (const char *d,
                guint       n)
{
  guint p2 = leading (d, 2), p3 = leading (d, 3), p4 = leading (d, 4), p6 = leading (d, 6);

  if (d[0] == '4')                                   /* Visa */
    return n == 13 || n == 16 || n == 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))  /* Mastercard */
    return n == 16;
  if (p2 == 34 || p2 == 37)                          /* Amex */
    return n == 15;
  if (p4 >= 2200 && p4 <= 2204)                      /* Mir */
    return n >= 16;
  if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) ||
      (p6 >= 622126 && p6 <= 622925))                /* Discover */
    return n >= 16;
  if (p2 == 62)                                      /* UnionPay */
    return n >= 16;
  if (p4 >= 3528 && p4 <= 3589)                      /* JCB */
    return n >= 16;
  if ((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
    return n >= 14;                                  /* Diners */
  if (p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304 || p4 == 6759 ||
      (p4 >= 6761 && p4 <= 6763))                    /* Maestro */
    return TRUE;
  return FALSE;
}

static gboolean
groups_card (const Scan   *sc,
             const Groups *g,
             guint         k)
{
  char d[20];
  guint n;

  if (!seps_same (g, 0, k, " -"))
    return FALSE;
  for (guint i = 0; k > 1 && i < k; i++)
    if (group_len (g, i) < 3 || group_len (g, i) > 6)
      return FALSE;
  n = group_digits (sc, g, 0, k, d, 19);
  return n >= 13 && n <= 19 && card_issuer_ok (d, n) && luhn_ok (d, n);
}

static gboolean
ssn_parts_ok (const char *d)
{
  guint area = leading (d, 3), grp = leading (d + 3, 2), serial = leading (d + 5, 4);

  return area != 0 && area != 666 && area < 900 && grp != 0 && serial != 0;
}

static gboolean
ssn_labelled (const Scan *sc,
              gsize       i)
{
  gsize from = i > SSN_LABEL_WINDOW ? i - SSN_LABEL_WINDOW : 0;

  for (gsize j = from; j < i; j++)
    {
      if (j + 3 <= i && g_ascii_strncasecmp ((const char *) sc->text + j, "ssn", 3) == 0)
        return TRUE;
      if (j + 15 <= i &&
          g_ascii_strncasecmp ((const char *) sc->text + j, "social security", 15) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
groups_ssn (const Scan   *sc,
            const Groups *g,
            guint         k)
{
  char d[10];

  if (k == 1)
    return group_len (g, 0) == 9 && group_digits (sc, g, 0, 1, d, 9) == 9 &&
           ssn_parts_ok (d) && ssn_labelled (sc, g->start[0]);
  if (k != 3 || group_len (g, 0) != 3 || group_len (g, 1) != 2 || group_len (g, 2) != 4)
    return FALSE;
  return seps_same (g, 0, 3, "- ") && group_digits (sc, g, 0, 3, d, 9) == 9 && ssn_parts_ok (d);
}

static gboolean
nanp_ok (const char *d)
{
  /* Area and exchange codes: NXX with N in 2-9, and not N11. */
  return d[0] >= '2' && !(d[1] == '1' && d[2] == '1') &&
         d[3] >= '2' && !(d[4] == '1' && d[5] == '1');
}

static gboolean
groups_phone (const Scan   *sc,
              const Groups *g,
              guint         k)
{
  char d[12];
  guint from = 0;

  if (k == 4 && group_len (g, 0) == 1 && sc->text[g->start[0]] == '1')
    from = 1;
  if (k - from != 3 || group_len (g, from) != 3 || group_len (g, from + 1) != 3 ||
      group_len (g, from + 2) != 4)
    return FALSE;
  return seps_same (g, 0, k, "-. ") && group_digits (sc, g, from, k, d, 10) == 10 && nanp_ok (d);
}

static gboolean
number_start (const Scan *sc,
              gsize       i)
{
  guchar p;

  if (i == 0)
    return TRUE;
  p = sc->text[i - 1];
  if (p == '+' || p == '$')
    return FALSE;
  /* Not the inner group of a dashed or dotted number (a date, an ISBN, an address). */
  switch (p)
    {
    case '-': case '.': case '/': case ',': case ':':
      return !(i >= 2 && is_digit (sc->text[i - 2]));
    default:
      return TRUE;
    }
}

static gboolean
try_number (Scan       *sc,
            gsize       i,
            gsize       word_end,
            VigilMatch *m)
{
  Groups g;

  if (!number_start (sc, i))
    return FALSE;
  /* Every shape takes NUMBER_MIN_DIGITS or more digits from the first groups, and the
   * dates, amounts and order numbers of free text mostly hold fewer. A word shorter than
   * that with no group after it holds fewer for sure, without collecting: its digits end
   * with it, or at a letter, where the groups end too. */
  if (word_end - i < NUMBER_MIN_DIGITS && !group_follows (sc, word_end))
    return FALSE;
  collect_groups (sc, i, &g);
  if (g.digits < NUMBER_MIN_DIGITS)
    return FALSE;
  for (guint k = g.n; k >= 1; k--)
    {
      if (!prefix_ok (sc, &g, k))
        continue;
      if (enabled (sc, VIGIL_DETECTOR_CARD) && groups_card (sc, &g, k))
        return emit (sc, m, i, g.end[k - 1], VIGIL_DETECTOR_CARD);
      if (enabled (sc, VIGIL_DETECTOR_SSN) && groups_ssn (sc, &g, k))
        return emit (sc, m, i, g.end[k - 1], VIGIL_DETECTOR_SSN);
      if (enabled (sc, VIGIL_DETECTOR_PHONE) && groups_phone (sc, &g, k))
        return emit (sc, m, i, g.end[k - 1], VIGIL_DETECTOR_PHONE);
    }
  return FALSE;
}

/* "(415) 555-2671", at the '(' */
static gsize
nanp_paren_end (const Scan *sc,
                gsize       i)
{
  char d[10];
  guint n = 0;
  gsize j = i + 1;

  for (; n < 3 && is_digit (at (sc, j)); j++)
    d[n++] = (char) sc->text[j];
  if (n != 3 || at (sc, j) != ')')
    return 0;
  j++;
  if (at (sc, j) == ' ')
    j++;
  for (; n < 6 && is_digit (at (sc, j)); j++)
    d[n++] = (char) sc->text[j];
  if (n != 6 || strchr ("-. ", at (sc, j)) == NULL || at (sc, j) == '\0')
    return 0;
  j++;
  for (; n < 10 && is_digit (at (sc, j)); j++)
    d[n++] = (char) sc->text[j];
  if (n != 10 || is_word (at (sc, j)) || !nanp_ok (d))
    return 0;
  return j;
}

static gboolean
try_e164 (Scan       *sc,
          gsize       i,
          VigilMatch *m)
{
  Groups g;
  char d[16];

  if ((i > 0 && is_word (sc->text[i - 1])) || !is_digit (at (sc, i + 1)) || at (sc, i + 1) == '0')
    return FALSE;
  collect_groups (sc, i + 1, &g);
  if (g.n == 1 && group_len (&g, 0) == 1 && sc->text[i + 1] == '1')
    {
      gsize j = i + 2 + (at (sc, i + 2) == ' ');
      gsize end = at (sc, j) == '(' ? nanp_paren_end (sc, j) : 0;

      return end != 0 && emit (sc, m, i, end, VIGIL_DETECTOR_PHONE);
    }
  for (guint k = g.n; k >= 1; k--)
    {
      guint n = group_digits (sc, &g, 0, k, d, 15);

      if (!prefix_ok (sc, &g, k) || n < 8 || n > 15)
        continue;
      if (d[0] == '1' && (n != 11 || !nanp_ok (d + 1)))
        return FALSE;
      return emit (sc, m, i, g.end[k - 1], VIGIL_DETECTOR_PHONE);
    }
  return FALSE;
}

/* IBAN: country, check digits, BBAN; plain or in groups of four */

static guint
iban_length (const Scan *sc,
             gsize       i)
{
  for (gsize k = 0; k < G_N_ELEMENTS (iban_countries); k++)
    if (iban_countries[k].cc[0] == sc->text[i] && iban_countries[k].cc[1] == sc->text[i + 1])
      return iban_countries[k].len;
  return 0;
}

static gboolean
iban_mod97_ok (const char *iban,
               guint       n)
{
  guint rem = 0;

  for (guint k = 0; k < n; k++)
    {
      char c = iban[(k + 4) % n];

      if (is_digit ((guchar) c))
        rem = (rem * 10 + (guint) (c - '0')) % 97;
      else
        rem = (rem * 100 + (guint) (c - 'A' + 10)) % 97;
    }
  return rem == 1;
}

static gboolean
try_iban (Scan       *sc,
          gsize       i,
          VigilMatch *m)
{
  char buf[40];
  guint want, n = 0, run = 0;
  gsize j = i;

  if (sc->len - i < 15 || !is_upper (sc->text[i]) || !is_upper (sc->text[i + 1]) ||
      !is_digit (sc->text[i + 2]) || !is_digit (sc->text[i + 3]))
    return FALSE;
  want = iban_length (sc, i);
  if (want == 0)
    return FALSE;
  while (n < want && j < sc->len)
    {
      guchar c = sc->text[j];

      if (is_upper (c) || is_digit (c))
        {
          buf[n++] = (char) c;
          run++;
          j++;
        }
      else if (c == ' ' && run == 4 && (is_upper (at (sc, j + 1)) || is_digit (at (sc, j + 1))))
        {
          run = 0;
          j++;
        }
      else
        break;
    }
  if (n != want || is_word (at (sc, j)) || !iban_mod97_ok (buf, n))
    return FALSE;
  return emit (sc, m, i, j, VIGIL_DETECTOR_IBAN);
}

/* Email */

static gsize
domain_end (const Scan *sc,
            gsize       i)
{
  guint labels = 0;
  gsize end = 0, tld = 0;

  for (;;)
    {
      gsize j = i;

      while (j < sc->len && (is_alnum (sc->text[j]) || sc->text[j] == '-') && j - i < 64)
        j++;
      if (j == i || j - i > 63 || sc->text[i] == '-' || sc->text[j - 1] == '-')
        break;
      labels++;
      end = j;
      tld = i;
      if (at (sc, j) != '.' || !is_alnum (at (sc, j + 1)))
        break;
      i = j + 1;
    }
  if (labels < 2 || end - tld < 2 || is_word (at (sc, end)))
    return 0;
  for (gsize k = tld; k < end; k++)
    if (!is_alpha (sc->text[k]))
      return 0;
  return end;
}

static gboolean
try_email (Scan       *sc,
           gsize       i,
           gsize       word_end,
           VigilMatch *m)
{
  gsize j, end;

  if (i < sc->email_done)
    return FALSE;
  j = run_past_word (sc, word_end, CH_LOCAL);
  if (at (sc, j) != '@')
    {
      sc->email_done = j;
      return FALSE;
    }
  if (sc->text[j - 1] == '.' || j - i > 64)
    return FALSE;
  for (gsize k = i; k + 1 < j; k++)
    if (sc->text[k] == '.' && sc->text[k + 1] == '.')
      return FALSE;
  end = domain_end (sc, j + 1);
  if (end == 0)
    {
      sc->email_done = j;
      return FALSE;
    }
  return emit (sc, m, i, end, VIGIL_DETECTOR_EMAIL);
}

/* Secrets: key prefixes, JWT, PEM, URIs with a password, keyword=value, entropy */

static gboolean
letters_and_digits (const Scan *sc,
                    gsize       from,
                    gsize       to)
{
  gboolean letter = FALSE, digit = FALSE;

  for (gsize k = from; k < to && !(letter && digit); k++)
    {
      letter |= is_alpha (sc->text[k]);
      digit |= is_digit (sc->text[k]);
    }
  return letter && digit;
}

/* The keys whose first two bytes are the two at I (a prefix has two or more): words that
 * start with a key's first byte (person, shipped, Austin) mostly go no further. */
static inline guint64
key_candidates (const Scan *sc,
                gsize       i)
{
  return tables.key_first[sc->text[i]] & tables.key_second[at (sc, i + 1)];
}

/* CANDIDATES: key_candidates () at I. */
static const KeyPrefix *
key_prefix_at (const Scan *sc,
               gsize       i,
               guint64     candidates,
               gsize      *out_end)
{
  for (candidates &= ~KEY_OTHER; candidates != 0; candidates &= candidates - 1)
    {
      const KeyPrefix *p = &key_prefixes[__builtin_ctzll (candidates)];
      gsize body = i + p->prefix_len, j = body;

      /* The last byte of the prefix first: words that share a key's first two bytes
       * (skill, ghost) mostly differ there, and memcmp is a call. */
      if (sc->len - i < p->prefix_len ||
          sc->text[body - 1] != (guchar) p->prefix[p->prefix_len - 1] ||
          memcmp (sc->text + i, p->prefix, p->prefix_len) != 0)
        continue;
      while (j < sc->len && j - body <= p->max && in_body (p->body, sc->text[j]))
        j++;
      if (j - body < p->min || j - body > p->max || is_word (at (sc, j)))
        continue;
      if (p->min != p->max && !letters_and_digits (sc, body, j))
        continue;
      *out_end = j;
      return p;
    }
  return NULL;
}

static gsize
sendgrid_end (const Scan *sc,
              gsize       i)
{
  gsize j = i + 3, mid;

  if (!has_prefix (sc, i, "SG."))
    return 0;
  while (j < sc->len && is_b64url (sc->text[j]))
    j++;
  if (j - (i + 3) < 16 || at (sc, j) != '.')
    return 0;
  mid = ++j;
  while (j < sc->len && is_b64url (sc->text[j]))
    j++;
  return j - mid >= 16 && !is_word (at (sc, j)) ? j : 0;
}

static gsize
slack_hook_end (const Scan *sc,
                gsize       i)
{
  gsize j = i + strlen (SLACK_HOOK), body = j;

  if (!has_prefix (sc, i, SLACK_HOOK))
    return 0;
  while (j < sc->len && (is_b64url (sc->text[j]) || sc->text[j] == '/'))
    j++;
  return j - body >= 10 ? j : 0;
}

/* CANDIDATES: key_candidates () at I, not 0. */
static gboolean
cloud_key_at (Scan       *sc,
              gsize       i,
              guint64     candidates,
              VigilMatch *m)
{
  gsize end = 0;

  if (key_prefix_at (sc, i, candidates, &end) == NULL)
    end = sc->text[i] == 'S' ? sendgrid_end (sc, i)
        : sc->text[i] == 'h' ? slack_hook_end (sc, i) : 0;
  return end != 0 && emit (sc, m, i, end, VIGIL_DETECTOR_CLOUD_KEY);
}

/* Small enough to inline: most words start with no key's two first bytes, and stop here. */
static inline gboolean
try_cloud_key (Scan       *sc,
               gsize       i,
               VigilMatch *m)
{
  guint64 candidates = key_candidates (sc, i);

  return candidates != 0 && cloud_key_at (sc, i, candidates, m);
}

static gint
b64url_value (guchar c)
{
  if (is_upper (c)) return c - 'A';
  if (is_lower (c)) return c - 'a' + 26;
  if (is_digit (c)) return c - '0' + 52;
  if (c == '-' || c == '+') return 62;
  if (c == '_' || c == '/') return 63;
  return -1;
}

/* Whether the base64url text decodes to a JSON object naming "alg". */
static gboolean
jwt_header_ok (const Scan *sc,
               gsize       from,
               gsize       to)
{
  char buf[384];
  guint n = 0, bits = 0, acc = 0;

  for (gsize k = from; k < to && n < sizeof buf - 1; k++)
    {
      acc = (acc << 6) | (guint) b64url_value (sc->text[k]);
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          buf[n++] = (char) ((acc >> bits) & 0xff);
        }
    }
  buf[n] = '\0';
  return n > 0 && buf[0] == '{' && strstr (buf, "\"alg\"") != NULL;
}

static gboolean
try_jwt (Scan       *sc,
         gsize       i,
         VigilMatch *m)
{
  gsize dot1, j = i;

  if (!has_prefix (sc, i, "eyJ"))
    return FALSE;
  while (j < sc->len && is_b64url (sc->text[j]))
    j++;
  if (j - i < 10 || at (sc, j) != '.')
    return FALSE;
  dot1 = j++;
  while (j < sc->len && is_b64url (sc->text[j]))
    j++;
  if (j - dot1 < 11 || at (sc, j) != '.')
    return FALSE;
  j++;
  while (j < sc->len && is_b64url (sc->text[j]))
    j++;
  if (!jwt_header_ok (sc, i, dot1))
    return FALSE;
  return emit (sc, m, i, j, VIGIL_DETECTOR_JWT);
}

static gboolean
try_private_key (Scan       *sc,
                 gsize       i,
                 VigilMatch *m)
{
  gsize j = i + 11, label = j, end;

  if ((i > 0 && sc->text[i - 1] == '-') || !has_prefix (sc, i, "-----BEGIN "))
    return FALSE;
  while (j < sc->len && j - label < 64 && (is_upper (sc->text[j]) || sc->text[j] == ' '))
    j++;
  if (!has_prefix (sc, j, "-----") ||
      g_strstr_len ((const char *) sc->text + label, (gssize) (j - label), "PRIVATE KEY") == NULL)
    return FALSE;
  end = find (sc, j + 5, "-----END ");
  if (end != G_MAXSIZE)
    end = find (sc, end + 9, "-----");
  end = end == G_MAXSIZE ? sc->len : end + 5;
  return emit (sc, m, i, end, VIGIL_DETECTOR_PRIVATE_KEY);
}

/* scheme://user:PASSWORD@host: only the password */
static gboolean
try_uri (Scan       *sc,
         gsize       i,
         gsize       word_end,
         VigilMatch *m)
{
  gsize j = i, auth, at_sign = G_MAXSIZE, colon = G_MAXSIZE;
  guchar after_word;

  if (!sc->has_at)
    return FALSE;  /* user:password@host has one */
  after_word = at (sc, word_end);
  /* The scheme must reach a ':'. It holds every word byte but '_', where it would stop
   * short of any ':', so a word followed by neither ':' nor a scheme byte starts none. */
  if (after_word != ':' && !in_class (after_word, CH_SCHEME))
    return FALSE;
  while (j < sc->len && j - i < MAX_SCHEME_LEN && in_class (sc->text[j], CH_SCHEME))
    j++;
  if (!has_prefix (sc, j, "://"))
    return FALSE;
  auth = j + 3;
  for (j = auth; j < sc->len && strchr ("/?#\"'<> \t\r\n", sc->text[j]) == NULL; j++)
    if (sc->text[j] == '@')
      at_sign = j;
  if (at_sign == G_MAXSIZE)
    return FALSE;
  sc->email_done = MAX (sc->email_done, at_sign + 1);  /* user@host here is no email */
  for (j = auth; j < at_sign && colon == G_MAXSIZE; j++)
    if (sc->text[j] == ':')
      colon = j;
  if (colon == G_MAXSIZE || colon + 1 == at_sign)
    return FALSE;
  return emit (sc, m, colon + 1, at_sign, VIGIL_DETECTOR_PASSWORD);
}

/* Whether the identifier [FROM, END) ends in WORD (N bytes, lower case), ignoring case;
 * compared from the end, where identifiers that are no keyword mostly differ. */
static inline gboolean
ends_with_caseless (const Scan *sc,
                    gsize       from,
                    gsize       end,
                    const char *word,
                    gsize       n)
{
  if (end - from < n)
    return FALSE;
  for (gsize k = 1; k <= n; k++)
    if (ascii_lower (sc->text[end - k]) != (guchar) word[n - k])
      return FALSE;
  return TRUE;
}

static const char *
keyword_tail (const Scan *sc,
              gsize       i,
              gsize       end)
{
  /* Most identifiers end in a byte no keyword ends in (every one ends in d, n, y or t),
   * and stop here. The rest are tried in the table's order. */
  guint candidates = tables.keyword_last[ascii_lower (sc->text[end - 1])];

  for (; candidates != 0; candidates &= candidates - 1)
    {
      guint k = (guint) __builtin_ctz (candidates);
      gsize n = secret_keywords[k].len;

      if (!ends_with_caseless (sc, i, end, secret_keywords[k].word, n))
        continue;
      if (end - n == i || strchr ("_-.", sc->text[end - n - 1]) != NULL)
        return secret_keywords[k].word;
    }
  return NULL;
}

static gboolean
value_looks_secret (const Scan *sc,
                    gsize       from,
                    gsize       to)
{
  for (gsize k = from; k < to; k++)
    if (!is_lower (sc->text[k]) && !(k == from && is_upper (sc->text[k])))
      return TRUE;
  return FALSE;
}

/* A value that is itself a JWT or a known key is named for what it is. */
static VigilDetector
keyword_value_kind (Scan       *sc,
                    const char *kw,
                    gsize       value,
                    gsize       end)
{
  VigilMatch inner;

  if (enabled (sc, VIGIL_DETECTOR_JWT) && try_jwt (sc, value, &inner) && inner.len == end - value)
    return VIGIL_DETECTOR_JWT;
  if (kw == secret_keywords[0].word ||
      (enabled (sc, VIGIL_DETECTOR_CLOUD_KEY) && is_alnum (sc->text[value]) &&
       try_cloud_key (sc, value, &inner) && inner.len == end - value))
    return VIGIL_DETECTOR_CLOUD_KEY;
  return VIGIL_DETECTOR_PASSWORD;
}

static gboolean
try_keyword (Scan       *sc,
             gsize       i,
             gsize       word_end,
             VigilMatch *m)
{
  const char *kw;
  gsize j, k, value;
  guchar sep = 0, quote = 0;

  if (i < sc->keyword_done)
    return FALSE;
  j = run_past_word (sc, word_end, CH_IDENT);
  sc->keyword_done = j;
  kw = keyword_tail (sc, i, j);
  if (kw == NULL)
    return FALSE;
  k = j + (at (sc, j) == '"' || at (sc, j) == '\'');
  while (at (sc, k) == ' ' || at (sc, k) == '\t')
    k++;
  if (at (sc, k) == '=' || at (sc, k) == ':')
    {
      sep = sc->text[k++];
      if (sep == '=' && at (sc, k) == '=')
        k++;
      while (at (sc, k) == ' ' || at (sc, k) == '\t')
        k++;
    }
  else if (!(strcmp (kw, "password") == 0 && k > j && at (sc, k) == '\''))
    return FALSE;  /* ALTER ROLE ... PASSWORD 'x' has no separator */
  if (at (sc, k) == '"' || at (sc, k) == '\'' || at (sc, k) == '`')
    quote = sc->text[k++];
  value = k;
  if (quote != 0)
    {
      while (k < sc->len && sc->text[k] != quote && sc->text[k] != '\n' &&
             k - value < MAX_QUOTED_VALUE)
        k++;
      if (at (sc, k) != quote)
        return FALSE;
    }
  else
    {
      while (k < sc->len && !is_space (sc->text[k]) && strchr (",;&)}]\"'<>", sc->text[k]) == NULL)
        k++;
      if (sep == ':' && !value_looks_secret (sc, value, k))
        return FALSE;
    }
  if (k == value || (strcmp (kw, "pwd") == 0 && sc->text[value] == '/'))
    return FALSE;
  return emit (sc, m, value, k, keyword_value_kind (sc, kw, value, k));
}

/* log2 without libm (the engine does not link it): x = m * 2^e, ln m by the atanh series. */
static double
log2_approx (double x)
{
  double t, t2, sum = 0, term;
  int e = 0;

  g_assert (x > 0);
  while (x >= 2)
    x /= 2, e++;
  while (x < 1)
    x *= 2, e--;
  t = (x - 1) / (x + 1);
  t2 = t * t;
  term = t;
  for (int k = 1; k < 20; k += 2)
    {
      sum += term / k;
      term *= t2;
    }
  return e + 2 * sum / G_LN2;
}

static gboolean
entropy_high (const Scan *sc,
              gsize       from,
              gsize       to)
{
  guint counts[256] = { 0 };
  guint changes = 0, n = (guint) (to - from);
  gboolean hex_only = TRUE;
  double h = 0, threshold;

  for (gsize k = from; k < to; k++)
    {
      guchar c = sc->text[k];

      counts[c]++;
      hex_only &= g_ascii_isxdigit (c) || c == '-';
      if (k > from && is_alnum (c) && is_alnum (sc->text[k - 1]) &&
          (is_digit (c) != is_digit (sc->text[k - 1]) ||
           is_upper (c) != is_upper (sc->text[k - 1])))
        changes++;
    }
  if (hex_only || changes * 10 < n * 3)
    return FALSE;
  for (guint c = 0; c < 256; c++)
    if (counts[c] != 0)
      h -= (double) counts[c] / n * log2_approx ((double) counts[c] / n);
  /* Random base64 of length n scores close to log2 (n) until n nears the alphabet size. */
  threshold = MIN (4.0, 0.85 * log2_approx (n));
  return h >= threshold;
}

static gboolean
try_entropy (Scan       *sc,
             gsize       i,
             gsize       word_end,
             VigilMatch *m)
{
  gsize j, end;

  if (i < sc->entropy_done)
    return FALSE;
  j = run_past_word (sc, word_end, CH_B64);
  sc->entropy_done = j;
  end = j;
  while (at (sc, end) == '=' && end - j < 2)
    end++;
  /* Base64 may open with '+' or '/', which are no word start. */
  while (i > sc->last_end && (sc->text[i - 1] == '+' || sc->text[i - 1] == '/'))
    i--;
  if (j - i < ENTROPY_MIN_LEN || is_word (at (sc, end)) || !letters_and_digits (sc, i, j) ||
      !entropy_high (sc, i, j))
    return FALSE;
  return emit (sc, m, i, end, VIGIL_DETECTOR_ENTROPY);
}

/* Dispatch */

/* At I, a word start; its word (the run of [A-Za-z0-9_]) ends at WORD_END. */
static gboolean
try_word (Scan       *sc,
          gsize       i,
          gsize       word_end,
          VigilMatch *m)
{
  guchar c = sc->text[i];

  if (is_alpha (c))
    {
      if (enabled (sc, VIGIL_DETECTOR_JWT) && c == 'e' && try_jwt (sc, i, m))
        return TRUE;
      if (enabled (sc, VIGIL_DETECTOR_CLOUD_KEY) && try_cloud_key (sc, i, m))
        return TRUE;
      if (enabled (sc, VIGIL_DETECTOR_PASSWORD) && try_uri (sc, i, word_end, m))
        return TRUE;
      if ((sc->enabled & (VIGIL_DETECT_PASSWORD | VIGIL_DETECT_CLOUD_KEY)) &&
          try_keyword (sc, i, word_end, m))
        return TRUE;
      if (enabled (sc, VIGIL_DETECTOR_IBAN) && is_upper (c) && try_iban (sc, i, m))
        return TRUE;
    }
  /* '_' starts an address (_jane@example.com) or a token as well as a letter does. */
  if (enabled (sc, VIGIL_DETECTOR_EMAIL) && try_email (sc, i, word_end, m))
    return TRUE;
  if (is_digit (c) && (sc->enabled & (VIGIL_DETECT_CARD | VIGIL_DETECT_SSN | VIGIL_DETECT_PHONE)) &&
      try_number (sc, i, word_end, m))
    return TRUE;
  if (enabled (sc, VIGIL_DETECTOR_ENTROPY) && try_entropy (sc, i, word_end, m))
    return TRUE;
  return FALSE;
}

static gboolean
try_punct (Scan       *sc,
           gsize       i,
           VigilMatch *m)
{
  gsize end;

  switch (sc->text[i])
    {
    case '-':
      return enabled (sc, VIGIL_DETECTOR_PRIVATE_KEY) && try_private_key (sc, i, m);
    case '+':
      return enabled (sc, VIGIL_DETECTOR_PHONE) && try_e164 (sc, i, m);
    case '(':
      if (!enabled (sc, VIGIL_DETECTOR_PHONE) || (i > 0 && is_word (sc->text[i - 1])))
        return FALSE;
      end = nanp_paren_end (sc, i);
      return end != 0 && emit (sc, m, i, end, VIGIL_DETECTOR_PHONE);
    default:
      return FALSE;
    }
}

/* Public API */

const char *
vigil_detector_to_string (VigilDetector kind)
{
  g_return_val_if_fail (kind < VIGIL_N_DETECTORS, NULL);
  return detector_names[kind];
}

gboolean
vigil_detector_from_string (const char    *name,
                            VigilDetector *out_kind)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint k = 0; k < VIGIL_N_DETECTORS; k++)
    if (strcmp (name, detector_names[k]) == 0)
      {
        if (out_kind != NULL)
          *out_kind = (VigilDetector) k;
        return TRUE;
      }
  return FALSE;
}

gboolean
vigil_detector_set_from_names (const char * const  *names,
                               VigilDetectorSet    *out_set,
                               GError             **error)
{
  guint set = VIGIL_DETECT_NONE;

  g_return_val_if_fail (out_set != NULL, FALSE);

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      VigilDetector kind;

      if (strcmp (names[i], "secret") == 0)
        set |= VIGIL_DETECT_SECRET;
      else if (strcmp (names[i], "all") == 0)
        set |= VIGIL_DETECT_ALL;
      else if (vigil_detector_from_string (names[i], &kind) && kind != VIGIL_DETECTOR_GENERIC)
        set |= 1u << kind;
      else
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, "unknown detector “%s”", names[i]);
          return FALSE;
        }
    }
  *out_set = (VigilDetectorSet) set;
  return TRUE;
}

void
vigil_detect_iter_init (VigilDetectIter  *iter,
                        const char       *text,
                        gsize             len,
                        VigilDetectorSet  detectors)
{
  g_return_if_fail (iter != NULL);
  g_return_if_fail (text != NULL || len == 0);

  ensure_tables ();
  memset (iter, 0, sizeof *iter);
  iter->text = (const guchar *) text;
  iter->len = len;
  iter->enabled = detectors;
  /* Most values hold no '@': no email, no URI with a password, and no need to look. */
  iter->has_at = len > 0 && memchr (text, '@', len) != NULL;
  if (!iter->has_at)
    iter->email_done = len;
}

gboolean
vigil_detect_iter_next (VigilDetectIter *iter,
                        VigilMatch      *out_match)
{
  g_return_val_if_fail (iter != NULL && out_match != NULL, FALSE);

  while (iter->pos < iter->len)
    {
      gsize i = iter->pos, next;
      gboolean found;

      if (!is_word (iter->text[i]))
        {
          found = try_punct (iter, i, out_match);
          next = i + 1;
        }
      else
        {
          /* The word is scanned once, here: the candidates that scan a run from its start
           * go on from its end. The rest of a word a match ended in starts nothing. */
          next = end_of_word (iter, i);
          found = (i == 0 || !is_word (iter->text[i - 1])) && try_word (iter, i, next, out_match);
        }
      if (found)
        {
          iter->pos = iter->last_end = out_match->start + out_match->len;
          return TRUE;
        }
      iter->pos = next;
    }
  return FALSE;
}

guint
vigil_detect_scan (const char       *text,
                   gsize             len,
                   VigilDetectorSet  detectors,
                   GArray           *out_matches)
{
  VigilDetectIter iter;
  VigilMatch m;
  guint n = 0;

  g_return_val_if_fail (text != NULL || len == 0, 0);

  vigil_detect_iter_init (&iter, text, len, detectors);
  while (vigil_detect_iter_next (&iter, &m))
    {
      if (out_matches != NULL)
        g_array_append_val (out_matches, m);
      n++;
    }
  return n;
}

/* The part of a cloud key that only names its kind (ghp_, AKIA, sk_live_, ...); 0 if none. */
gsize
vigil_detect_key_prefix_len (const char *key,
                             gsize       len)
{
  Scan sc = { .text = (const guchar *) key, .len = len };

  g_return_val_if_fail (key != NULL || len == 0, 0);

  if (len == 0)
    return 0;
  for (gsize k = 0; k < G_N_ELEMENTS (key_prefixes); k++)
    if (has_prefix (&sc, 0, key_prefixes[k].prefix))
      return strlen (key_prefixes[k].prefix);
  if (has_prefix (&sc, 0, "SG."))
    return 3;
  if (has_prefix (&sc, 0, SLACK_HOOK))
    return strlen (SLACK_HOOK);
  return 0;
}

/* SPDX-License-Identifier: MIT */
/* The budget file is loaded as a libyaml document and walked node by node: a mapping of
 * sections (totals, functions, modules, suppressions, max-growth), each checked for its
 * expected node type, so a mistake is reported at the line of the offending node. */
#include "budget_file.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

typedef struct {
  yaml_document_t *doc;
  const char *path;
  mt__budgets *b;
  mt__filter *f;
  mt__err *e;
} walk;

static int at(walk *w, const yaml_node_t *n, const char *msg, const char *arg) {
  char text[640];
  snprintf(text, sizeof text, msg, arg);
  return mt__fail(w->e, "%s:%lu: %s", w->path, (unsigned long)n->start_mark.line + 1, text);
}

static const char *scalar(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A mapping of budget keys to limits, for one scope. */
static int budgets(walk *w, yaml_node_t *map, mt__scope scope, const char *glob) {
  if (map->type != YAML_MAPPING_NODE)
    return at(w, map, "expected budgets (max-leaked: SIZE, ...) under %s", glob ? glob : "totals");
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
    const char *key = scalar(k), *val = scalar(v);
    if (!key) return at(w, k, "%s", "a budget name must be a plain word such as max-leaked");
    if (!val) return at(w, v, "the value of %s must be a single size or count", key);
    mt__err inner;
    if (mt__budgets_add(w->b, key, val, scope, glob, (int)k->start_mark.line + 1, &inner))
      return at(w, k, "%s", inner.msg);
  }
  return 0;
}

/* functions: or modules: a mapping of globs to budget mappings. */
static int scoped(walk *w, yaml_node_t *map, mt__scope scope) {
  if (map->type != YAML_MAPPING_NODE)
    return at(w, map, "expected a mapping of %s globs to budgets", scope == MT__SCOPE_FUNCTION ? "function" : "module");
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
    const char *glob = scalar(k);
    if (!glob || !*glob) return at(w, k, "%s", "expected a glob such as parse_* or libfoo.so*");
    if (budgets(w, yaml_document_get_node(w->doc, p->value), scope, glob)) return -1;
  }
  return 0;
}

static int suppressions(walk *w, yaml_node_t *seq) {
  if (seq->type != YAML_SEQUENCE_NODE)
    return at(w, seq, "%s", "suppressions: expected a list of LSan patterns (- parse_*)");
  for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
    yaml_node_t *n = yaml_document_get_node(w->doc, *i);
    const char *pat = scalar(n);
    if (!pat || !*pat) return at(w, n, "%s", "a suppression must be one pattern");
    if (strncmp(pat, "leak:", 5) == 0) pat += 5;
    if (mt__filter_suppress(w->f, pat)) return mt__fail(w->e, "out of memory");
  }
  return 0;
}

static int top_level(walk *w, yaml_node_t *root) {
  if (root->type != YAML_MAPPING_NODE)
    return at(w, root, "%s", "expected a mapping with totals, functions, modules, suppressions");
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
    const char *key = scalar(k);
    int rc;
    if (!key) rc = at(w, k, "%s", "expected a section name");
    else if (strcmp(key, "version") == 0)
      rc = scalar(v) && strcmp(scalar(v), "1") == 0 ? 0 : at(w, v, "%s", "unsupported version: this memtrace reads version 1");
    else if (strcmp(key, "totals") == 0) rc = budgets(w, v, MT__SCOPE_TOTAL, NULL);
    else if (strcmp(key, "functions") == 0) rc = scoped(w, v, MT__SCOPE_FUNCTION);
    else if (strcmp(key, "modules") == 0) rc = scoped(w, v, MT__SCOPE_MODULE);
    else if (strcmp(key, "suppressions") == 0) rc = suppressions(w, v);
    else if (strcmp(key, "max-growth") == 0) {
      rc = mt__parse_percent(scalar(v), &w->b->max_growth) ? at(w, v, "%s", "max-growth: expected a percentage such as 10%") : 0;
      w->b->growth_line = (int)v->start_mark.line + 1;
    } else
      rc = at(w, k, "unknown section '%s' (totals, functions, modules, suppressions, max-growth, version)", key);
    if (rc) return -1;
  }
  return 0;
}

int mt__budget_file_load(const char *path, mt__budgets *b, mt__filter *f, mt__err *e) {
  FILE *in = fopen(path, "rb");
  if (!in) return mt__fail(e, "cannot read budget file %s: %m", path);
  yaml_parser_t parser;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&parser)) {
    fclose(in);
    return mt__fail(e, "out of memory");
  }
  yaml_parser_set_input_file(&parser, in);
  int rc = 0;
  if (!yaml_parser_load(&parser, &doc)) {
    rc = mt__fail(e, "%s:%lu: %s%s%s", path, (unsigned long)parser.problem_mark.line + 1,
                  parser.problem ? parser.problem : "invalid YAML", parser.context ? " " : "",
                  parser.context ? parser.context : "");
  } else {
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    walk w = {&doc, path, b, f, e};
    if (root) rc = top_level(&w, root); /* an empty file sets no budgets */
    yaml_document_delete(&doc);
  }
  yaml_parser_delete(&parser);
  fclose(in);
  return rc;
}

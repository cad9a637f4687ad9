// helm-render is a test-only stand-in for `helm template`, for machines where helm cannot be installed.
//
// It renders a chart the way Helm 3 does for the parts our chart uses: Go's text/template with the sprig
// function library (minus env/expandenv, as in Helm), plus Helm's own functions (include, tpl, required,
// fail, toYaml, fromYaml, fromYamlArray, toJson, fromJson, lookup), the built-in objects (.Values,
// .Release, .Chart, .Capabilities, .Template, .Files), values coalescing (chart values.yaml, then each -f
// file in order, null deletes a key), subcharts under charts/ (their values under the parent's key),
// and validation of the final values against values.schema.json (JSON Schema draft-07 through
// gojsonschema, the validator Helm 3 itself used until 3.18).
//
// It is not Helm: no hooks, no ordering by kind, no --set parsing, no OCI or repositories. Output is the
// rendered manifests, each preceded by "---" and a "# Source:" comment, as `helm template` prints them.
//
// Usage: helm-render [-f values.yaml]... [--name release] [--namespace ns] [--kube-version v1.32.0] CHART_DIR
// Exit status: 0 rendered, 1 a template or schema error (message on stderr), 2 usage.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/ghodss/yaml"
	"github.com/xeipuuv/gojsonschema"
)

type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

// chart is one loaded chart directory (the top chart or a subchart).
type chart struct {
	name     string // path prefix used in template names: "gatehouse" or "parent/charts/gatehouse"
	meta     map[string]interface{}
	values   map[string]interface{}
	schema   []byte
	files    map[string][]byte // .Files: everything outside templates/ and the special files
	tpls     map[string]string // template name -> text
	children []*chart
}

func main() {
	var files valueFiles
	release := flag.String("name", "release-name", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	kubeVersion := flag.String("kube-version", "v1.32.0", "Kubernetes version reported by .Capabilities")
	flag.Var(&files, "f", "values file (repeatable; later files win)")
	flag.Var(&files, "values", "values file (same as -f)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: helm-render [-f values.yaml]... [--name release] [--namespace ns] CHART_DIR")
		os.Exit(2)
	}
	out, err := run(flag.Arg(0), files, *release, *namespace, *kubeVersion)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(out)
}

func run(dir string, valueFiles []string, releaseName, namespace, kubeVersion string) (string, error) {
	top, err := loadChart(dir, "")
	if err != nil {
		return "", err
	}
	user := map[string]interface{}{}
	for _, f := range valueFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		m := map[string]interface{}{}
		if err := yaml.Unmarshal(b, &m); err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
		user = coalesce(m, user)
	}
	values := coalesceChart(top, user)
	if err := validateSchemas(top, values); err != nil {
		return "", err
	}
	r := &renderer{release: map[string]interface{}{
		"Name": releaseName, "Namespace": namespace, "Service": "Helm",
		"IsInstall": true, "IsUpgrade": false, "Revision": 1,
	}, capabilities: capabilities(kubeVersion)}
	return r.render(top, values)
}

// loadChart reads Chart.yaml, values.yaml, values.schema.json, templates/ and the other files of a chart.
func loadChart(dir, parent string) (*chart, error) {
	// filepath.Walk does not descend into a symlinked root (a subchart linked into charts/).
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		dir = resolved
	}
	metaBytes, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	c := &chart{meta: map[string]interface{}{}, values: map[string]interface{}{}, files: map[string][]byte{}, tpls: map[string]string{}}
	raw := map[string]interface{}{}
	if err := yaml.Unmarshal(metaBytes, &raw); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %w", err)
	}
	// Helm exposes Chart.yaml fields with capitalised names (.Chart.Name, .Chart.AppVersion).
	for k, v := range raw {
		c.meta[strings.ToUpper(k[:1])+k[1:]] = v
	}
	name, _ := c.meta["Name"].(string)
	if name == "" {
		return nil, fmt.Errorf("%s/Chart.yaml: missing name", dir)
	}
	c.name = name
	if parent != "" {
		c.name = parent + "/charts/" + name
	}
	if b, err := os.ReadFile(filepath.Join(dir, "values.yaml")); err == nil {
		if err := yaml.Unmarshal(b, &c.values); err != nil {
			return nil, fmt.Errorf("%s/values.yaml: %w", dir, err)
		}
		if c.values == nil {
			c.values = map[string]interface{}{}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "values.schema.json")); err == nil {
		c.schema = b
	}
	ignore := readHelmignore(dir)
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if info.IsDir() {
			if rel == "charts" {
				return filepath.SkipDir
			}
			return nil
		}
		if ignored(ignore, rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(rel, "templates/"):
			c.tpls[c.name+"/"+rel] = string(b)
		case rel == "Chart.yaml" || rel == "values.yaml" || rel == "values.schema.json" || rel == ".helmignore":
		default:
			c.files[rel] = b
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "charts"))
	for _, e := range entries {
		sub := filepath.Join(dir, "charts", e.Name())
		if st, err := os.Stat(sub); err != nil || !st.IsDir() { // os.Stat follows symlinks
			continue
		}
		child, err := loadChart(sub, c.name)
		if err != nil {
			return nil, err
		}
		c.children = append(c.children, child)
	}
	return c, nil
}

func readHelmignore(dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, ".helmignore"))
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, strings.TrimSuffix(line, "/"))
		}
	}
	return out
}

// ignored applies the simple .helmignore patterns (a glob on the base name or the whole relative path).
func ignored(patterns []string, rel string) bool {
	for _, p := range patterns {
		for _, part := range append([]string{rel}, strings.Split(rel, "/")...) {
			if ok, _ := path.Match(p, part); ok {
				return true
			}
		}
	}
	return false
}

// coalesce merges src over dst the way Helm merges user values over defaults: maps merge recursively,
// anything else is replaced, and a null in src deletes the key.
func coalesce(src, dst map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if v == nil {
			delete(out, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := out[k].(map[string]interface{})
		if sok && dok {
			out[k] = coalesce(sm, dm)
		} else {
			out[k] = v
		}
	}
	return out
}

// coalesceChart returns the chart's defaults with user values over them, subcharts' defaults under their key.
func coalesceChart(c *chart, user map[string]interface{}) map[string]interface{} {
	merged := coalesce(user, c.values)
	for _, child := range c.children {
		key, _ := child.meta["Name"].(string)
		sub, _ := merged[key].(map[string]interface{})
		if sub == nil {
			sub = map[string]interface{}{}
		}
		merged[key] = coalesceChart(child, sub)
	}
	return merged
}

func validateSchemas(c *chart, values map[string]interface{}) error {
	if c.schema != nil {
		doc, err := json.Marshal(values)
		if err != nil {
			return err
		}
		res, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(c.schema), gojsonschema.NewBytesLoader(doc))
		if err != nil {
			return fmt.Errorf("%s: values.schema.json: %w", c.name, err)
		}
		if !res.Valid() {
			var msgs []string
			for _, e := range res.Errors() {
				msgs = append(msgs, "- "+e.String())
			}
			return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n%s", c.name, strings.Join(msgs, "\n"))
		}
	}
	for _, child := range c.children {
		key, _ := child.meta["Name"].(string)
		sub, _ := values[key].(map[string]interface{})
		if err := validateSchemas(child, sub); err != nil {
			return err
		}
	}
	return nil
}

type apiVersions []string

// Has reports whether the API version (group/version or group/version/Kind) is available, as Helm's does.
func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

func capabilities(kubeVersion string) map[string]interface{} {
	v := strings.TrimPrefix(kubeVersion, "v")
	parts := strings.SplitN(v, ".", 3)
	for len(parts) < 2 {
		parts = append(parts, "0")
	}
	return map[string]interface{}{
		"KubeVersion": map[string]interface{}{"Version": "v" + v, "GitVersion": "v" + v, "Major": parts[0], "Minor": parts[1]},
		"APIVersions": apiVersions{"v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"},
	}
}

// files is .Files: Get, GetBytes, Glob, Lines, AsConfig, AsSecrets, as in Helm.
type files map[string][]byte

func (f files) Get(name string) string      { return string(f[name]) }
func (f files) GetBytes(name string) []byte { return f[name] }
func (f files) Lines(name string) []string {
	s := strings.TrimSuffix(string(f[name]), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
func (f files) Glob(pattern string) files {
	out := files{}
	for k, v := range f {
		if ok, _ := path.Match(pattern, k); ok {
			out[k] = v
		}
	}
	return out
}
func (f files) AsConfig() string {
	m := map[string]string{}
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

type renderer struct {
	release      map[string]interface{}
	capabilities map[string]interface{}
	tmpl         *template.Template
	depth        int
}

func toYAML(v interface{}) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

func (r *renderer) funcs() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env") // Helm removes these so a chart cannot read the machine it renders on.
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromYamlArray"] = func(s string) []interface{} {
		var a []interface{}
		if err := yaml.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	f["toJson"] = func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	f["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil // as under `helm template`: no cluster
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		if r.depth > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		r.depth++
		defer func() { r.depth-- }()
		var buf bytes.Buffer
		if err := r.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := r.tmpl.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", text, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	return f
}

func allCharts(c *chart) []*chart {
	out := []*chart{c}
	for _, ch := range c.children {
		out = append(out, allCharts(ch)...)
	}
	return out
}

func (r *renderer) render(top *chart, values map[string]interface{}) (string, error) {
	r.tmpl = template.New("gotpl").Option("missingkey=zero").Funcs(r.funcs())
	type job struct {
		name  string
		c     *chart
		scope map[string]interface{}
	}
	var jobs []job
	var walk func(c *chart, vals map[string]interface{})
	walk = func(c *chart, vals map[string]interface{}) {
		names := make([]string, 0, len(c.tpls))
		for n := range c.tpls {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			jobs = append(jobs, job{n, c, vals})
		}
		for _, ch := range c.children {
			key, _ := ch.meta["Name"].(string)
			sub, _ := vals[key].(map[string]interface{})
			walk(ch, sub)
		}
	}
	walk(top, values)
	// Parse every template (partials included) into one set first, so include works across files and charts.
	for _, j := range jobs {
		if _, err := r.tmpl.New(j.name).Parse(j.c.tpls[j.name]); err != nil {
			return "", err
		}
	}
	var out strings.Builder
	for _, j := range jobs {
		base := path.Base(j.name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		data := map[string]interface{}{
			"Values":       j.scope,
			"Release":      r.release,
			"Chart":        j.c.meta,
			"Capabilities": r.capabilities,
			"Files":        files(j.c.files),
			"Template":     map[string]interface{}{"Name": j.name, "BasePath": j.c.name + "/templates"},
		}
		var buf bytes.Buffer
		if err := r.tmpl.ExecuteTemplate(&buf, j.name, data); err != nil {
			return "", err
		}
		if base == "NOTES.txt" {
			continue
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", j.name, strings.TrimRight(strings.TrimLeft(text, "\n"), "\n"))
	}
	return out.String(), nil
}

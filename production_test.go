package main

import (
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"paybybank/banks/httpsig"
)

// clearServeEnv unsets the PAYBYBANK_ variables parseConfig reads, so the developer's own
// environment plays no part in a test of the defaults.
func clearServeEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "PAYBYBANK_") {
			t.Setenv(name, "") // restored after the test
			os.Unsetenv(name)
		}
	}
}

func TestEnvAndSandboxDefaults(t *testing.T) {
	clearServeEnv(t)
	prod := []string{"--env", "production", "--secret-key", strings.Repeat("ab", 32), "--public-url", "https://pay.example.com"}
	provider := []string{"--openpayments-client-id", "id", "--openpayments-client-secret", "secret"}
	tests := []struct {
		name        string
		args        []string
		env         map[string]string
		wantErr     string
		wantSandbox bool
	}{
		{name: "development without a provider: sandbox on", wantSandbox: true},
		{name: "development with a provider by flag: sandbox off", args: provider},
		{name: "development with a provider by variable: sandbox off", env: map[string]string{"PAYBYBANK_OPENPAYMENTS_CLIENT_ID": "id"}},
		{name: "development with a provider and --sandbox: both", args: append([]string{"--sandbox"}, provider...), wantSandbox: true},
		{name: "production with a provider by flag: starts without the sandbox", args: append(append([]string{}, prod...), provider...)},
		{name: "production with a provider by variable: starts without the sandbox", args: prod, env: map[string]string{"PAYBYBANK_OPENPAYMENTS_CLIENT_ID": "id"}},
		{name: "production with --sandbox: refused", args: append(append([]string{"--sandbox"}, prod...), provider...), wantErr: "the sandbox cannot run in production"},
		{name: "production with PAYBYBANK_SANDBOX=true: refused", args: prod, env: map[string]string{"PAYBYBANK_SANDBOX": "true"}, wantErr: "the sandbox cannot run in production"},
		{name: "--env prod: refused", args: []string{"--env", "prod"}, wantErr: `--env (PAYBYBANK_ENV) "prod" is not known: use development or production`},
		{name: "PAYBYBANK_ENV=Production: refused", env: map[string]string{"PAYBYBANK_ENV": "Production"}, wantErr: `"Production" is not known: use development or production`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := parseConfig(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Sandbox != tt.wantSandbox {
				t.Fatalf("sandbox %v, want %v", c.Sandbox, tt.wantSandbox)
			}
		})
	}
}

// TestREADMEProduction runs the README's production block as written, with the binary on the
// PATH: the placeholders stay (the provider is never called at start), the client certificate is
// made where the README keeps it (in a folder of the test's), and the server must come up without
// the sandbox.
func TestREADMEProduction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)### Running in production\n.*?```sh\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no production block")
	}
	script := string(m[1])
	if !strings.Contains(script, "PAYBYBANK_ENV=production") || !strings.Contains(script, "paybybank serve") {
		t.Fatalf("the production block changed shape:\n%s", script)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "paybybank"), ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// The certificate's folder is the README's, moved under the test's own folder.
	certDir := filepath.Join(dir, "etc", "paybybank")
	script = strings.ReplaceAll(script, "/etc/paybybank/", certDir+"/")
	os.MkdirAll(certDir, 0o700)
	cert, key, err := httpsig.NewTestCertificate("paybybank production test")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(certDir, "client.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	os.WriteFile(filepath.Join(certDir, "client.key"), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)

	clearServeEnv(t)
	addr := freeAddr(t)
	work := filepath.Join(dir, "work")
	os.MkdirAll(work, 0o700)
	cmd := exec.Command("bash", "-euc", script)
	cmd.Dir = work
	// Where the README leaves the defaults: a free port instead of :8080, and the metrics
	// listener on a free one too, as other tests run beside this one.
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "PAYBYBANK_ADDR="+addr, "PAYBYBANK_METRICS_ADDR=127.0.0.1:0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the shell and the server it starts, ended together
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("the README's production block exited: %v\n%s", waitErr, logs.String())
		default:
		}
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/sandbox/bankid")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("/sandbox/bankid: %d, want 404 (no sandbox in production)", resp.StatusCode)
	}
	if log := logs.String(); !strings.Contains(log, `"sandbox":false`) || !strings.Contains(log, `"msg":"paybybank listening"`) {
		t.Fatalf("the log does not say the server listens without the sandbox (in JSON):\n%s", log)
	}
}

// Drives smsim from Go with the standard library only: send an SMS through smsoffice, receive its
// delivery callback, move the simulator's clock, read the status, and see a fault.
//
// Run against `smsim serve --clock manual` (SMSIM_URL overrides http://127.0.0.1:8800) with
// `go run examples/go/tour/main.go` (Go 1.19+). Exits 0 when every step answered as expected.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

const destination = "995555123456"

var (
	base   = envOr("SMSIM_URL", "http://127.0.0.1:8800")
	client = &http.Client{Timeout: 10 * time.Second}
)

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// call makes a request and decodes its JSON reply into `into` (when not nil). Admin calls that
// change state say they are JSON, so that no web page can forge them.
func call(method, path, body string, into any) error {
	request, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	request.Header.Set("Content-Type", "application/json")
	reply, err := client.Do(request)
	if err != nil {
		return err
	}
	defer reply.Body.Close()
	if reply.StatusCode >= 300 {
		text, _ := io.ReadAll(reply.Body)
		return fmt.Errorf("%s %s: %s %s", method, path, reply.Status, text)
	}
	if into == nil {
		return nil
	}
	return json.NewDecoder(reply.Body).Decode(into)
}

// send is an smsoffice send of a code with the client's own reference; it returns the ErrorCode.
func send(reference string) (int, error) {
	query := url.Values{
		"key": {"demo-key"}, "destination": {destination}, "sender": {"SMSOFFICE"},
		"content": {"Your code is 4821"}, "reference": {reference},
	}
	var reply struct{ ErrorCode int }
	err := call("GET", "/api/v2/send/?"+query.Encode(), "", &reply)
	return reply.ErrorCode, err
}

// status is smsoffice's getMessageStatus for that reference.
func status(reference string) (string, error) {
	query := url.Values{"key": {"demo-key"}, "destination": {destination}, "reference": {reference}}
	var reply struct{ Output struct{ Status string } }
	err := call("GET", "/api/v2/getMessageStatus/?"+query.Encode(), "", &reply)
	return reply.Output.Status, err
}

func expect(what string, got, want any) error {
	if got != want {
		return fmt.Errorf("%s: got %v, want %v", what, got, want)
	}
	return nil
}

func tour() error {
	// A receiver answering smsoffice's callbacks with OK, as a real one must.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	callbacks := make(chan url.Values, 4)
	receiver := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		callbacks <- r.URL.Query()
		io.WriteString(w, "OK")
	})}
	go receiver.Serve(listener)
	defer receiver.Close()
	callback := fmt.Sprintf(`{"callback_url": "http://%s/sms-callback"}`, listener.Addr())

	if err := call("POST", "/__admin/reset", "", nil); err != nil {
		return err
	}
	if err := call("PATCH", "/__admin/accounts/smsoffice/demo-key", callback, nil); err != nil {
		return err
	}

	code, err := send("go-1")
	if err != nil {
		return err
	}
	if err := expect("send", code, 0); err != nil {
		return err
	}
	state, err := status("go-1")
	if err != nil {
		return err
	}
	if err := expect("status before delivery", state, "Pending"); err != nil {
		return err
	}
	// The clock stands still until moved: delivery (two seconds by default) falls due now, and
	// the call answers once what fell due has fired, its callback included.
	if err := call("POST", "/__admin/clock/advance", `{"seconds": 2}`, nil); err != nil {
		return err
	}
	if state, err = status("go-1"); err != nil {
		return err
	}
	if err := expect("status after delivery", state, "Delivered"); err != nil {
		return err
	}
	select {
	case got := <-callbacks:
		if err := expect("callback status", got.Get("status"), "Delivered"); err != nil {
			return err
		}
	case <-time.After(5 * time.Second):
		return fmt.Errorf("no callback")
	}

	// The "temporary delay" your client must handle, once.
	if err := call("POST", "/__admin/faults", `{"spec": "smsoffice.send=error:-100*1"}`, nil); err != nil {
		return err
	}
	if code, err = send("go-2"); err != nil {
		return err
	}
	if err := expect("send with the fault", code, -100); err != nil {
		return err
	}
	if code, err = send("go-3"); err != nil {
		return err
	}
	return expect("send after it", code, 0)
}

func main() {
	if err := tour(); err != nil {
		fmt.Fprintln(os.Stderr, "go: unexpected answer:", err)
		os.Exit(1)
	}
	fmt.Println("go: sent, called back, delivered, and failed on purpose, as expected")
}

// Reads the one-time code an app just sent, the way an end-to-end test of a sign-in does (C#'s
// HttpClient): the app posts an SMS to getsms as a form, and the test asks smsim for the newest
// message to that number, waiting up to five seconds for it, and types in its `code`.
//
// Run against `smsim serve` (SMSIM_URL overrides http://127.0.0.1:8800). Only the framework's own
// libraries, so it builds on .NET as it is and on Mono:
//   mcs -r:System.Net.Http -r:System.Runtime.Serialization -out:otp.exe examples/csharp/Otp.cs && mono otp.exe
// Prints the code.

using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Text;
using System.Threading.Tasks;

[DataContract]
class Message
{
    [DataMember(Name = "id")] public long Id;
    [DataMember(Name = "code")] public string Code;
}

static class Otp
{
    const string Phone = "998901230088";
    static readonly string Base = Environment.GetEnvironmentVariable("SMSIM_URL") ?? "http://127.0.0.1:8800";
    static readonly HttpClient Client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

    // The newest message matching `query`, or null when smsim answers 404 (none, or none in time).
    static async Task<Message> Latest(string query)
    {
        var reply = await Client.GetAsync(Base + "/__admin/messages/latest" + query);
        if (reply.StatusCode == HttpStatusCode.NotFound) return null;
        reply.EnsureSuccessStatusCode();
        using (var body = await reply.Content.ReadAsStreamAsync())
            return (Message)new DataContractJsonSerializer(typeof(Message)).ReadObject(body);
    }

    // What the app under test does: a getsms send, its messages as a JSON array in a form field.
    static async Task AppSendsCode()
    {
        await Task.Delay(200);
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["login"] = "demo",
            ["password"] = "demo",
            ["data"] = "[{\"phone\":\"" + Phone + "\",\"text\":\"Tasdiqlash kodi: 418263\"}]",
        });
        var reply = await Client.PostAsync(Base + "/smsgateway/", form);
        reply.EnsureSuccessStatusCode();
    }

    static async Task<int> Run()
    {
        var newest = await Latest("");
        var since = newest == null ? 0 : newest.Id;
        // The app sends while the test waits, as it would while a browser clicks "Send me a code".
        var sending = AppSendsCode();
        var message = await Latest("?destination=" + Phone + "&since=" + since + "&wait=5s");
        await sending;
        if (message == null)
        {
            Console.Error.WriteLine("no code within 5 s");
            return 1;
        }
        Console.WriteLine(message.Code);
        return message.Code == "418263" ? 0 : 1;
    }

    static int Main() => Run().GetAwaiter().GetResult();
}

using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;
using CsCheck;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Suite 5: bad input for the start, status and cancel routes — a table of known-bad cases plus CsCheck-
/// generated bodies and ids. Every one gets 4xx problem+json; none starts a workflow; none is a server error.</summary>
[Trait("Category", "Reliability")]
public sealed class BadInputTests(ITestOutputHelper output)
{
    static readonly string ValidUser = "user-1";
    static readonly string ValidReason = "\"locked out\"";

    static string Json(string text) => JsonSerializer.Serialize(text);

    static Gen<string> Str(string chars, int min, int max) => Gen.Char[chars].Array[min, max].Select(a => new string(a));

    /// <summary>Bad values for userId: wrong types, empty, too long, forbidden characters, traversal, control and non-ASCII.</summary>
    static readonly Gen<string> BadUserId = Gen.OneOf(
        Gen.OneOfConst("null", "0", "123", "true", "[]", "{}", "[\"123\"]", "\"\"", "\" \"", "\"../../etc/passwd\"", "\"..\\\\..\\\\win.ini\"", "\"a/b\"", "\"a?b\"", "\"a#b\"", "\"%2e%2e%2f\"", "\"-leading-dash\""),
        Str("abcdefghijklmnopqrstuvwxyz0123456789", 65, 400).Select(Json),
        Gen.String[1, 30].Where(s => s.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '-'))).Select(Json),
        Gen.Char[(char)0, (char)31].Array[1, 5].Select(cs => Json("u" + new string(cs) + "v")));

    /// <summary>Bad values for reason: wrong types, blank, too long, control and bidi/format characters.</summary>
    static readonly Gen<string> BadReason = Gen.OneOf(
        Gen.OneOfConst("null", "1", "false", "[\"x\"]", "{\"text\":\"x\"}", "\"\"", "\"   \"", "\"\\u202Eevil\"", "\"zero\\u200Bwidth\""),
        Str("abc ", 501, 3000).Where(s => s.Trim().Length > 500).Select(Json),
        Gen.Char[(char)0, (char)31].Array[1, 4].Select(cs => Json("why" + new string(cs) + "end")));

    static readonly Gen<string> BadDeadline = Gen.OneOf(Gen.Int[-1_000_000, 4].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.Int[604_801, int.MaxValue].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.OneOfConst("\"60\"", "1.5", "null2", "[]"));

    /// <summary>Bodies that are invalid in at least one way, by construction.</summary>
    static readonly Gen<string> BadBody = Gen.OneOf(
        BadUserId.Select(u => $"{{\"userId\":{u},\"reason\":{ValidReason}}}"),
        BadReason.Select(r => $"{{\"userId\":\"{ValidUser}\",\"reason\":{r}}}"),
        BadDeadline.Select(d => $"{{\"userId\":\"{ValidUser}\",\"reason\":{ValidReason},\"deadlineSeconds\":{d}}}"),
        Str("abcdefghijklmnopqrstuvwxyzABC_", 1, 20).Where(n => n is not ("userId" or "reason" or "deadlineSeconds")).Select(n => $"{{\"userId\":\"{ValidUser}\",\"reason\":{ValidReason},\"{n}\":1}}"),
        Gen.String[0, 200].Where(s => !s.TrimStart().StartsWith('{')),
        Gen.String[0, 80].Select(s => "{\"userId\":\"" + ValidUser + "\",\"reason\":" + ValidReason + s.Replace("}", "", StringComparison.Ordinal)),
        Gen.Int[4097, 20_000].Select(n => $"{{\"userId\":\"{ValidUser}\",\"reason\":\"{new string('r', n)}\"}}"));

    /// <summary>Access requests that must be refused: a bad resource, reason or duration, each alone, or no JSON object.</summary>
    static readonly Gen<string> BadAccessBody = Gen.OneOf(
        Gen.OneOf(
            Gen.OneOfConst("null", "1", "[]", "{}", "\"\"", "\"   \"", "\"Stag\u0000ing\"", "\"\u202Eproduction\""),
            Gen.String[1, 40].Where(s => !s.Trim().Equals("production", StringComparison.OrdinalIgnoreCase)).Select(Json),
            Gen.Int[201, 2000].Select(n => Json(new string('p', n))))
            .Select(resource => $$"""{"resource":{{resource}},"reason":"to debug production","durationSeconds":60}"""),
        BadReason.Select(reason => $$"""{"resource":"Production","reason":{{reason}},"durationSeconds":60}"""),
        Gen.OneOf(Gen.Int[int.MinValue, 59].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.Int[28_801, int.MaxValue].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.OneOfConst("\"60\"", "60.5", "[]", "true"))
            .Select(duration => $$"""{"resource":"Production","reason":"x","durationSeconds":{{duration}}}"""),
        Gen.String[0, 120].Where(s => !s.TrimStart().StartsWith('{')));

    static readonly Gen<string> BadId = Gen.OneOf(
        Gen.OneOfConst("..", "../../etc/passwd", "%2e%2e%2f%2e%2e", "reset-password-123-0123456789ABCDEF", "reset-password--0123456789abcdef", "' OR 1=1 --", "<script>", "nul", "reset-password-123-0123456789abcdef0"),
        Gen.String[1, 200],
        Str("abcdef0123456789-", 1, 300));

    [Fact]
    public async Task BadInput_Generated_All4xxProblemJson_NothingStarted_NoServerError()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), RequestLog.On());
        var driver = new ReliabilityDriver(host);
        var sheet = new FigureSheet(output);
        var validId = await driver.StartAsync("anchor");
        await driver.PetitionOfAsync(validId);
        using var admin = host.IndentHttp();
        var petitionsBefore = JsonDocument.Parse(await admin.GetStringAsync("indent/_admin/stats")).RootElement.GetProperty("petitions").GetInt32();
        var failures = new ConcurrentQueue<string>();
        long planned = 0;
        var label = RequestLog.Label(Label);

        // Counted as planned before it is sent; the host's request log says what it answered.
        async Task Expect4xxProblem(HttpRequestMessage request, string what)
        {
            Interlocked.Increment(ref planned);
            var (status, body, mediaType) = await driver.SendWithTypeAsync(request);
            var problem = mediaType == "application/problem+json";
            if ((int)status is < 400 or > 499 || !problem)
            {
                failures.Enqueue($"{what}: {(int)status} {body[..Math.Min(200, body.Length)]}");
            }
        }

        var iterations = Scale.Pick(600, 5000);
        await BadBody.SampleAsync(async body =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/password-resets?" + label) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            await Expect4xxProblem(request, "POST body " + body[..Math.Min(80, body.Length)]);
        }, iter: iterations, threads: 4, seed: "0N0XIzNsQ0O2");

        await BadAccessBody.SampleAsync(async body =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/access-requests?" + label) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            await Expect4xxProblem(request, "POST access " + body[..Math.Min(80, body.Length)]);
        }, iter: iterations / 2, threads: 4, seed: "0N0XIzNsQ0O2");

        await BadId.SampleAsync(async id =>
        {
            var escaped = Uri.EscapeDataString(id);
            using var status = new HttpRequestMessage(HttpMethod.Get, $"api/approvals/{escaped}?{label}");
            await Expect4xxProblem(status, "GET id " + id);
            using var cancel = new HttpRequestMessage(HttpMethod.Post, $"api/approvals/{escaped}/cancel?{label}");
            await Expect4xxProblem(cancel, "cancel id " + id);
        }, iter: iterations / 2, threads: 4, seed: "0N0XIzNsQ0O2");

        // Cancel with bad bodies on a real, waiting approval: refused, and it keeps waiting.
        foreach (var body in new[] { "{\"reason\":1}", "{\"why\":\"x\"}", "not json", "{\"reason\":\"" + new string('x', 600) + "\"}", "[1]" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/approvals/{validId}/cancel?{label}") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            await Expect4xxProblem(request, "cancel body " + body[..Math.Min(40, body.Length)]);
        }

        var petitionsAfter = JsonDocument.Parse(await admin.GetStringAsync("indent/_admin/stats")).RootElement.GetProperty("petitions").GetInt32();
        var instances = await driver.Engine.InstancesAsync();
        var stillWaiting = (await driver.ViewAsync(validId)).GetProperty("status").GetString();
        foreach (var f in failures.Take(10))
        {
            output.WriteLine("NOT 4xx problem+json: " + f);
        }

        var scan = await driver.ScanForSecretsAsync();
        var log = await RequestLog.SettledAsync(host, Label, planned);
        sheet.Record("bad.4xx", planned, log.Count(r => r.Label == Label && r.Status is >= 400 and < 500));
        sheet.Record("bad.problem", 0, failures.Count);
        sheet.Record("bad.instances", 0, instances.Count(i => i.Id != validId));
        sheet.Record("bad.petitions", 0, petitionsAfter - petitionsBefore);
        sheet.Record("bad.5xx", 0, log.Count(r => r.IsApi && r.Status >= 500));
        sheet.Record("secrets.bad", 0, scan.Found.Count, scan.Detail);
        sheet.AssertAllHeld();
        Assert.Equal("awaiting_approval", stillWaiting);
    }

    const string Label = "bad-input";
}

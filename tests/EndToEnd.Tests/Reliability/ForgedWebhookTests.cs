using System.Collections.Concurrent;
using System.Net;
using Approvals.Core.Webhooks;
using Approvals.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Suite 1: forged, tampered and replayed webhooks against waiting approvals. Nothing may act and nothing
/// may crash; every attempt gets the answer its kind deserves.</summary>
[Trait("Category", "Reliability")]
public sealed class ForgedWebhookTests(ITestOutputHelper output)
{
    const int ToleranceSeconds = 3;

    [Fact]
    public async Task ForgedAndReplayedWebhooks_NoActionNoServerError()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), RequestLog.On(new() { ["APPROVALS_WEBHOOK_TOLERANCE_SECONDS"] = ToleranceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        var driver = new ReliabilityDriver(host);
        var sheet = new FigureSheet(output);
        var waiting = new List<(string Id, string Petition, string User)>();
        for (var i = 0; i < Scale.Pick(5, 20); i++)
        {
            var user = $"forged{i}";
            var id = await driver.StartAsync(user);
            waiting.Add((id, await driver.PetitionOfAsync(id), user));
        }

        // What the suite sets out to send, by the answer each kind deserves: tallied as each attempt is planned,
        // before it is sent; the host's request log says what it answered.
        var attempts = Scale.Pick(10_000, 50_000);
        var planned = new ConcurrentDictionary<HttpStatusCode, int>();
        var byKind = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, attempts), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            // Built at send time, with its own seeded generator: timestamps are as fresh (or as stale) as intended.
            var plan = Plan(i, new Random(20261128 + i), waiting[i % waiting.Count]);
            planned.AddOrUpdate(plan.Expected, 1, (_, n) => n + 1);
            byKind.AddOrUpdate(plan.Kind, 1, (_, n) => n + 1);
            await driver.WebhookAsync(plan.Body, plan.Headers, Forged);
        });

        // Replays: a delivery that was accepted once is refused when it comes back after the window.
        var replays = Scale.Pick(5, 20);
        var captured = new List<(byte[] Body, (string, string)[] Headers)>();
        var lastSignedAt = DateTimeOffset.MinValue;
        for (var i = 0; i < replays; i++)
        {
            var target = waiting[i % waiting.Count];
            var body = GrantBody(target.Petition, target.Id, "replay-" + i);
            lastSignedAt = DateTimeOffset.UtcNow;
            var headers = ReliabilityDriver.Signed(body, TestSettings.WebhookSecret, lastSignedAt);
            await driver.WebhookAsync(body, headers, Capture);
            captured.Add((body, headers));
        }

        // The replay must come after the window: wait for that moment — the last capture's timestamp plus the
        // window — not a guessed duration. (The signature's timestamp has whole-second precision, hence the second.)
        var windowEnds = lastSignedAt + TimeSpan.FromSeconds(ToleranceSeconds + 1);
        if (windowEnds > DateTimeOffset.UtcNow)
        {
            await Task.Delay(windowEnds - DateTimeOffset.UtcNow);
        }

        foreach (var (body, headers) in captured)
        {
            await driver.WebhookAsync(body, headers, Replay);
        }

        // Did any forged delivery decide a workflow? Cancel every waiting one but the first: a workflow handles its events
        // in order, so once it reports the cancel, every forged hint sent before it has been handled. Each must end
        // cancelled — not completed, not denied — in the engine's own record.
        var writesBeforeTheRealGrant = driver.TotalResets();
        foreach (var w in waiting.Skip(1))
        {
            using var cancel = await driver.Host.Http.PostAsync($"api/approvals/{w.Id}/cancel", null);
            await driver.WaitAsync(w.Id, ReliabilityDriver.IsFinal);
        }

        var outcomes = (await driver.Engine.InstancesAsync()).ToDictionary(i => i.Id, i => i.Outcome);
        var notCancelled = waiting.Skip(1).Count(w => outcomes.GetValueOrDefault(w.Id) != "cancelled");
        foreach (var w in waiting.Skip(1).Where(w => outcomes.GetValueOrDefault(w.Id) != "cancelled"))
        {
            output.WriteLine($"NOT cancelled: {w.Id}: the engine's outcome is {outcomes.GetValueOrDefault(w.Id) ?? "(none)"}");
        }

        foreach (var (kind, count) in byKind.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {kind}: {count}");
        }

        // The system still works: a real approval completes, once.
        var real = waiting[0];
        await driver.ClaimAsync(real.Petition, "access/approve");
        await driver.WaitAsync(real.Id, ReliabilityDriver.IsFinal);
        var scan = await driver.ScanForSecretsAsync();
        var log = await RequestLog.SettledAsync(host, Replay, replays);
        int Answered(string label, HttpStatusCode status) => log.Count(r => r.Label == label && r.Status == (int)status);

        sheet.Record("forged.401", planned.GetValueOrDefault(HttpStatusCode.Unauthorized), Answered(Forged, HttpStatusCode.Unauthorized));
        sheet.Record("forged.400", planned.GetValueOrDefault(HttpStatusCode.BadRequest), Answered(Forged, HttpStatusCode.BadRequest));
        sheet.Record("forged.413", planned.GetValueOrDefault(HttpStatusCode.RequestEntityTooLarge), Answered(Forged, HttpStatusCode.RequestEntityTooLarge));
        sheet.Record("forged.200", planned.GetValueOrDefault(HttpStatusCode.OK), Answered(Forged, HttpStatusCode.OK));
        sheet.Record("replay.200", replays, Answered(Capture, HttpStatusCode.OK));
        sheet.Record("replay.401", replays, Answered(Replay, HttpStatusCode.Unauthorized));
        sheet.Record("forged.writes", 0, writesBeforeTheRealGrant);
        sheet.Record("forged.decided", 0, notCancelled);
        sheet.Record("forged.real", 1, driver.Resets(real.User));
        sheet.Record("forged.5xx", 0, log.Count(r => r.IsApi && r.Status >= 500));
        sheet.Record("secrets.forged", 0, scan.Found.Count, scan.Detail);
        sheet.AssertAllHeld();
    }

    const string Forged = "forged", Capture = "capture", Replay = "replay";

    sealed record Attempt(string Kind, byte[] Body, (string Name, string Value)[] Headers, HttpStatusCode Expected);

    static byte[] GrantBody(string petition, string instance, string eventId) => ReliabilityDriver.Utf8(
        "{\"events\":[{\"event\":\"access/grant\",\"id\":\"" + eventId + "\",\"actor\":{\"kind\":\"user\",\"id\":\"mallory@evil.test\"},"
        + "\"meta\":{\"labels\":{\"petition\":\"" + petition + "\"}},"
        + "\"resources\":[{\"kind\":\"action\",\"id\":\"reset-password:x\",\"labels\":{\"approvals.dev/instance\":\"" + instance + "\"}}]}]}");

    static Attempt Plan(int i, Random random, (string Id, string Petition, string User) target)
    {
        var now = DateTimeOffset.UtcNow;
        var body = GrantBody(target.Petition, target.Id, "e" + i);
        var secret = TestSettings.WebhookSecret;
        switch (i % 15)
        {
            case 0:
                return new("wrong secret", body, ReliabilityDriver.Signed(body, "whsec_" + random.Next(), now), HttpStatusCode.Unauthorized);
            case 1:
            {
                var headers = ReliabilityDriver.Signed(body, secret, now);
                var mutated = (byte[])body.Clone();
                mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(7));
                return new("mutated body", mutated, headers, HttpStatusCode.Unauthorized);
            }

            case 2:
            {
                var headers = ReliabilityDriver.Signed(body, secret, now);
                var other = IndentWebhookSignature.FormatTimestamp(now.AddSeconds(random.Next(1, 3)));
                return new("mutated timestamp", body, [(IndentWebhookSignature.TimestampHeader, other), headers[1]], HttpStatusCode.Unauthorized);
            }

            case 3:
                return new("stale timestamp", body, ReliabilityDriver.Signed(body, secret, now.AddSeconds(-ToleranceSeconds - random.Next(2, 7200))), HttpStatusCode.Unauthorized);
            case 4:
                return new("future timestamp", body, ReliabilityDriver.Signed(body, secret, now.AddSeconds(ToleranceSeconds + random.Next(2, 7200))), HttpStatusCode.Unauthorized);
            case 5:
                return new("missing timestamp", body, [ReliabilityDriver.Signed(body, secret, now)[1]], HttpStatusCode.Unauthorized);
            case 6:
                return new("missing signature", body, [ReliabilityDriver.Signed(body, secret, now)[0]], HttpStatusCode.Unauthorized);
            case 7:
            {
                var headers = ReliabilityDriver.Signed(body, secret, now);
                return new("duplicated signature header", body, [headers[0], headers[1], (IndentWebhookSignature.SignatureHeader, new string('0', 64))], HttpStatusCode.Unauthorized);
            }

            case 8:
            {
                var otherBody = ReliabilityDriver.Utf8("{\"events\":[]}");
                var headers = ReliabilityDriver.Signed(otherBody, secret, now);
                return new("signature of another body", body, headers, HttpStatusCode.Unauthorized);
            }

            case 9:
                return new("valid grant, petition still open", body, ReliabilityDriver.Signed(body, secret, now), HttpStatusCode.OK);
            case 10:
            {
                var unknown = GrantBody(Guid.NewGuid().ToString(), "reset-password-nobody-0123456789abcdef", "u" + i);
                return new("valid grant, unknown petition", unknown, ReliabilityDriver.Signed(unknown, secret, now), HttpStatusCode.OK);
            }

            case 11:
            {
                var junk = ReliabilityDriver.Utf8(i % 2 == 0 ? "not json at all" : "{\"events\":\"x\"");
                return new("non-JSON body, valid signature", junk, ReliabilityDriver.Signed(junk, secret, now), HttpStatusCode.BadRequest);
            }

            case 12:
            {
                if (i % 300 == 12)
                {
                    var huge = new byte[(1024 * 1024) + 10];
                    Array.Fill(huge, (byte)'a');
                    return new("oversized body", huge, ReliabilityDriver.Signed(huge, secret, now), HttpStatusCode.RequestEntityTooLarge);
                }

                var headers = ReliabilityDriver.Signed(body, secret, now);
                return new("signature upper-cased", body, [headers[0], (headers[1].Name, headers[1].Value.ToUpperInvariant())], HttpStatusCode.Unauthorized);
            }

            case 13:
            {
                var headers = ReliabilityDriver.Signed(body, secret, now);
                return new("signature with prefix or truncated", body, [headers[0], (headers[1].Name, random.Next(2) == 0 ? "sha256=" + headers[1].Value : headers[1].Value[..40])], HttpStatusCode.Unauthorized);
            }

            default:
            {
                var headers = ReliabilityDriver.Signed(body, secret, now);
                return new("timestamp not RFC 3339", body, [(headers[0].Name, now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)), headers[1]], HttpStatusCode.Unauthorized);
            }
        }
    }
}

using System.Text.Json;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Tests.Workflow;

/// <summary>Invariant 3: no API token, webhook secret, seal key or temporary password in durable history, custom
/// status, outputs, HTTP responses or logs — after every outcome, and however the text encodes it.</summary>
public sealed class SecretScanTests
{
    [Fact]
    public async Task AfterEveryOutcome_NoSecretAnywhere()
    {
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "1", ["APPROVALS_POLL_MAX_SECONDS"] = "1", [AccessOptions.MinSecondsSetting] = "1" });
        host.Emulator.SetRules(
        [
            new Approvals.Local.Emulator.DecisionRule("action:reset-password:scan-ok*", Approvals.Local.Emulator.DecisionRule.Approve, 0.2),
            new Approvals.Local.Emulator.DecisionRule("environment:production", Approvals.Local.Emulator.DecisionRule.Approve, 0.2),
        ]);
        var ids = new Dictionary<string, string>
        {
            [ApprovalStatuses.Completed] = await host.StartResetAsync("scan-ok-1"),
            ["completed-2"] = await host.StartResetAsync("scan-ok-2"),
            [ApprovalStatuses.Denied] = await host.StartResetAsync("scan-denied"),
            [ApprovalStatuses.Cancelled] = await host.StartResetAsync("scan-cancelled"),
            [ApprovalStatuses.Expired] = await host.StartResetAsync("scan-expired", deadlineSeconds: 5),
            ["completed-access"] = await host.StartAccessAsync(seconds: 1), // the second workflow: granted, then ended by its timer
        };
        var denied = await host.WaitForPetitionAsync(ids[ApprovalStatuses.Denied]);
        await host.Indent.DenyAsync(denied.Petition!, "no");
        await host.WaitForPetitionAsync(ids[ApprovalStatuses.Cancelled]);
        (await host.Http.PostAsync($"api/approvals/{ids[ApprovalStatuses.Cancelled]}/cancel", null)).Dispose();
        // failed: a planted petition with the predictable request id is refused.
        var key = "scan-key";
        var plantedId = ApprovalIds.ForIdempotencyKey(WorkflowLabels.ResetPasswordAction, TestHost.CallerId, key);
        host.Emulator.Create(new Petition
        {
            Reason = "planted",
            Resources = [new Resource { Kind = "action", Id = "reset-password:scan-failed" }],
            Meta = new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.RequestId] = plantedId } },
        }, "mallory@acme.test");
        ids[ApprovalStatuses.Failed] = await host.StartResetAsync("scan-failed", idempotencyKey: key);

        var responses = new List<string>();
        foreach (var (expected, id) in ids)
        {
            var view = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
            Assert.Equal(expected.Split('-')[0], view.Status);
            responses.Add(await host.Http.GetStringAsync($"api/approvals/{id}"));
            responses.Add(await host.Http.GetStringAsync($"api/approvals/{id}/history"));
            var metadata = await host.Durable.GetInstanceAsync(id, getInputsAndOutputs: true);
            responses.Add(metadata!.SerializedInput + metadata.SerializedOutput + metadata.SerializedCustomStatus);
            foreach (var e in host.Host.Services.GetRequiredService<Approvals.Local.Engine.DurableEngine>().Service.RecordedHistory(id)!)
            {
                responses.Add(Newtonsoft.Json.JsonConvert.SerializeObject(e));
            }
        }

        var temporaryPasswords = Directory.GetFiles(Path.Combine(host.DataDirectory, "secrets"))
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("value").GetString()!)
            .ToList();
        Assert.Equal(2, temporaryPasswords.Count);
        var sealKey = JsonDocument.Parse(File.ReadAllText(Path.Combine(host.DataDirectory, "local-secrets.json"))).RootElement.GetProperty(PetitionSeal.KeySetting).GetString()!;
        var secrets = new List<string> { TestHost.Token, TestHost.Token.Split('.')[2], TestHost.WebhookSecret, sealKey };
        secrets.AddRange(temporaryPasswords);
        Assert.NotEmpty(host.Logs.Lines);

        Assert.Empty(SecretScanner.Find(secrets, responses.Concat(host.Logs.Lines)));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("json")]
    [InlineData("url")]
    [InlineData("base64")]
    public void Scanner_PlantedSecret_IsFoundHoweverEncoded(string encoding)
    {
        // A temporary password with the characters System.Text.Json escapes.
        const string secret = "Ab3+xY&z9<q>!Kp2Wm7";
        var planted = encoding switch
        {
            "plain" => "note: " + secret,
            "json" => JsonSerializer.Serialize(new { note = secret }),
            "url" => "https://x.test/?p=" + Uri.EscapeDataString(secret),
            _ => "data:" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("prefix-" + secret + "-suffix")),
        };
        Assert.True(encoding is "plain" or "base64" || !planted.Contains(secret, StringComparison.Ordinal), "the encoding must hide the plain secret");

        var found = SecretScanner.Find([secret], ["nothing here", planted]);

        Assert.Equal(planted, Assert.Single(found).Haystack);
    }
}

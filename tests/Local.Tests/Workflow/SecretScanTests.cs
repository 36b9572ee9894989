using Microsoft.Extensions.DependencyInjection;
using Approvals.Core.Workflow;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Workflow;

/// <summary>Invariant 3: no API token, webhook secret or temporary password in durable history, custom status,
/// outputs, HTTP responses or logs.</summary>
public sealed class SecretScanTests
{
    [Fact]
    public async Task AfterEveryOutcome_NoSecretAnywhere()
    {
        await using var host = await TestHost.StartAsync(autoApprove: 0.3);
        var responses = new List<string>();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await host.StartResetAsync("scan" + i));
        }

        foreach (var id in ids)
        {
            await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);
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
            .Select(f => System.Text.Json.JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("value").GetString()!)
            .ToList();
        Assert.Equal(3, temporaryPasswords.Count);
        var sealKey = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(host.DataDirectory, "local-secrets.json"))).RootElement.GetProperty(PetitionSeal.KeySetting).GetString()!;
        var secrets = new List<string> { TestHost.Token, TestHost.Token.Split('.')[2], TestHost.WebhookSecret, sealKey };
        secrets.AddRange(temporaryPasswords);
        var haystacks = responses.Concat(host.Logs.Lines).ToList();
        Assert.NotEmpty(host.Logs.Lines);

        var found = secrets.SelectMany(s => haystacks.Where(h => h.Contains(s, StringComparison.Ordinal)).Select(h => (s, h))).ToList();
        Assert.Empty(found);
    }
}

using System.Text.Json;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Approvals.Core.Tests.Support;
using Approvals.Core.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Approvals.Core.Tests.Secrets;

/// <summary>The Functions app's registrations start before an operator has stored the secrets (azd deploys first),
/// answer 503 naming what is missing, and recover without a restart once the secrets exist.</summary>
public sealed class StartWithoutSecretsTests
{
    static async Task<(int Status, string Body)> RunAsync(IResult result)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Response.Body = new MemoryStream();
        await result.ExecuteAsync(context);
        context.Response.Body.Position = 0;
        return (context.Response.StatusCode, await new StreamReader(context.Response.Body).ReadToEndAsync());
    }

    [Fact]
    public async Task Starts_Health503NamingTheMissing_ThenHealthy_NoRestart()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [IndentOptions.SpaceSetting] = "acme",
            [KeyVaultSecretProvider.VaultUriSetting] = vault.VaultUri.ToString(),
            [Identity.AuthOptions.AuthoritySetting] = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0",
            [Identity.AuthOptions.AudienceSetting] = "api://approvals",
        });
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton(vault.Client());          // the stand-in for Key Vault, taken before the real one
        builder.Services.AddSingleton<Approvals.Core.Workflow.IActionFenceStore>(new Approvals.Core.Workflow.InMemoryActionFenceStore()); // the table, in Azure
        builder.Services.AddApprovalsCore(builder.Configuration).AddEntraPasswordReset(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();                                 // no secret exists: it starts all the same

        var readiness = host.Services.GetRequiredService<SecretsReadiness>();
        var (before, body) = await RunAsync(await ApprovalsApi.HealthAsync(readiness));
        var request = new DefaultHttpContext().Request;
        var start = await host.Services.GetRequiredService<ApprovalsApi>().StartPasswordResetAsync(request, new Mock<DurableTaskClient>("test").Object);
        var (startStatus, startBody) = await RunAsync((IResult)start.Result);

        vault.Seed("indent-api-token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhQGIuYyJ9.zz-token-value");
        vault.Seed("indent-webhook-secret", "whsec_zz-secret-value");
        vault.Seed("approvals-seal-key", "zz-seal-value");
        clock.Advance(KeyVaultSecretProvider.ForcedRefreshInterval);
        var (after, _) = await RunAsync(await ApprovalsApi.HealthAsync(readiness));
        await host.StopAsync();

        Assert.Equal(503, before);
        var missing = JsonDocument.Parse(body).RootElement.GetProperty("missing").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(SecretsReadiness.Required, missing);
        Assert.Equal(503, startStatus);
        Assert.Contains(IndentWebhookEndpoint.SecretSetting, startBody, StringComparison.Ordinal);
        Assert.DoesNotContain("zz-", body + startBody, StringComparison.Ordinal);
        Assert.Equal(200, after);
    }
}

using System.Text;
using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Approvals.Core.Tests.Support;
using Approvals.Core.Webhooks;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Approvals.Core.Tests.Webhooks;

/// <summary>A forged webhook must not cost a Key Vault read: re-reads after a signature mismatch are single-flight and
/// at most one per <see cref="KeyVaultSecretProvider.ForcedRefreshInterval"/>; a rotated secret is still picked up.</summary>
public sealed class SecretRereadTests
{
    const string Body = """{"events":[{"event":"access/grant"}]}""";

    static Task<int> DeliverAsync(IndentWebhookEndpoint endpoint, string secret, FakeTimeProvider clock) =>
        SignedDelivery.DeliverAsync(endpoint, new Mock<DurableTaskClient>("test").Object, Encoding.UTF8.GetBytes(Body), secret, clock.GetUtcNow());

    static int SecretReads(FakeKeyVault vault) => vault.Requests.Count(r => r.StartsWith("GET /secrets/indent-webhook-secret", StringComparison.Ordinal));

    [Fact]
    public async Task ThousandForgedDeliveries_CauseAHandfulOfReads_ThenARotatedSecretIsAcceptedWithinTheInterval()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        vault.Seed("indent-webhook-secret", "whsec_old");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var provider = new KeyVaultSecretProvider(vault.Client(), clock);
        vault.Seed("indent-api-token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhQGIuYyJ9.x");
        vault.Seed("approvals-seal-key", "k");
        var endpoint = new IndentWebhookEndpoint(new IndentWebhookVerifier(clock), provider, new Mock<IndentClient>().Object, new SecretsReadiness(provider), NullLogger<IndentWebhookEndpoint>.Instance);
        Assert.Equal(200, await DeliverAsync(endpoint, "whsec_old", clock));
        var before = SecretReads(vault);

        var forged = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => Task.Run(() => DeliverAsync(endpoint, "forged-" + i, clock))));
        var readsByForgeries = SecretReads(vault) - before;

        vault.Seed("indent-webhook-secret", "whsec_new");          // rotated in Key Vault (and in Indent)
        var first = await DeliverAsync(endpoint, "whsec_new", clock);
        clock.Advance(KeyVaultSecretProvider.ForcedRefreshInterval);
        var withinTheInterval = await DeliverAsync(endpoint, "whsec_new", clock);

        Assert.All(forged, status => Assert.Equal(401, status));
        Assert.InRange(readsByForgeries, 0, 3);
        Assert.True(first is 200 or 401);
        Assert.Equal(200, withinTheInterval);
        Assert.InRange(SecretReads(vault) - before, 1, 5);
    }

    [Fact]
    public async Task KeyVaultFailing_KeepsTheLastGoodSecret()
    {
        await using var vault = await FakeKeyVault.StartAsync();
        vault.Seed("indent-webhook-secret", "whsec_good");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var provider = new KeyVaultSecretProvider(vault.Client(), clock);
        Assert.Equal("whsec_good", await provider.GetSecretAsync(IndentWebhookEndpoint.SecretSetting));

        await vault.DisposeAsync();                                  // Key Vault unreachable from now on
        clock.Advance(KeyVaultSecretProvider.RefreshInterval);
        var afterExpiry = await provider.GetSecretAsync(IndentWebhookEndpoint.SecretSetting);
        clock.Advance(KeyVaultSecretProvider.ForcedRefreshInterval);
        await provider.TryRefreshAsync(IndentWebhookEndpoint.SecretSetting);
        var afterForcedRefresh = await provider.GetSecretAsync(IndentWebhookEndpoint.SecretSetting);

        Assert.Equal("whsec_good", afterExpiry);
        Assert.Equal("whsec_good", afterForcedRefresh);
    }
}

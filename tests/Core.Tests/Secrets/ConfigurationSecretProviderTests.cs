using Approvals.Core.Secrets;
using Microsoft.Extensions.Configuration;

namespace Approvals.Core.Tests.Secrets;

/// <summary>Secrets from configuration are read once and kept until the configuration reloads.</summary>
public sealed class ConfigurationSecretProviderTests
{
    [Fact]
    public async Task GetSecret_KeptUntilTheConfigurationReloads_ThenTheNewValue()
    {
        var root = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["INDENT_WEBHOOK_SECRET"] = " whsec_a ", ["BLANK"] = "  " }).Build();
        var secrets = new ConfigurationSecretProvider(root);

        var first = await secrets.GetSecretAsync("INDENT_WEBHOOK_SECRET");
        root.Providers.Single().Set("INDENT_WEBHOOK_SECRET", "whsec_b");
        var beforeReload = await secrets.GetSecretAsync("INDENT_WEBHOOK_SECRET");
        root.Reload();
        var afterReload = await secrets.GetSecretAsync("INDENT_WEBHOOK_SECRET");

        Assert.Equal("whsec_a", first);
        Assert.Equal("whsec_a", beforeReload);
        Assert.Equal("whsec_b", afterReload);
        Assert.Null(await secrets.GetSecretAsync("BLANK"));
        Assert.Null(await secrets.GetSecretAsync("MISSING"));
    }
}

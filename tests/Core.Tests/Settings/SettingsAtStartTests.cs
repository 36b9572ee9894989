using Approvals.Core.Indent;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Approvals.Core.Tests.Settings;

/// <summary>The Functions app's registrations (<see cref="ApprovalsServiceCollectionExtensions"/>) in a generic host:
/// a bad value of any of our settings stops it at start, naming the setting and never the value.</summary>
public sealed class SettingsAtStartTests
{
    const string Marker = "zz-not-a-value-zz";

    static IHost Build(string setting, string value)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [IndentOptions.SpaceSetting] = "acme",
            [IndentOptions.TokenSetting] = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhQGIuYyJ9.x",
            [IndentWebhookEndpoint.SecretSetting] = "whsec_x",
            [Identity.AuthOptions.AuthoritySetting] = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0",
            [Identity.AuthOptions.AudienceSetting] = "api://approvals",
            [setting] = value,
        });
        builder.Services.AddApprovalsCore(builder.Configuration);
        return builder.Build();
    }

    [Theory]
    [InlineData(WorkflowOptions.PollInitialSetting)]
    [InlineData(WorkflowOptions.PollMaxSetting)]
    [InlineData(WorkflowOptions.DefaultDeadlineSetting)]
    [InlineData(WorkflowOptions.MaxDeadlineSetting)]
    [InlineData(IndentWebhookVerifier.ToleranceSetting)]
    [InlineData(IndentOptions.SpaceSetting)]
    [InlineData(IndentOptions.BaseUrlSetting)]
    [InlineData(Identity.AuthOptions.AuthoritySetting)]
    public async Task StartAsync_BadValue_FailsNamingTheSetting(string setting)
    {
        using var host = Build(setting, Marker + " !");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Core.Secrets.KeyVaultSecretProvider.VaultUriSetting)]
    [InlineData(Core.Actions.EntraUserDirectory.GraphBaseUrlSetting)]
    public void AddApprovalsCore_BadAzureEndpoint_FailsNamingTheSetting(string setting)
    {
        var error = Assert.Throws<Core.Settings.SettingsException>(() => Build(setting, "http://" + Marker));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Identity.AuthOptions.AuthoritySetting)]
    [InlineData(Identity.AuthOptions.AudienceSetting)]
    public async Task StartAsync_AuthSettingMissing_FailsNamingIt(string setting)
    {
        using var host = Build(setting, "");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(setting + " is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_PlainHttpAuthorityOffLoopback_FailsNamingIt()
    {
        using var host = Build(Identity.AuthOptions.AuthoritySetting, "http://login.example.com/tenant/v2.0");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(Identity.AuthOptions.AuthoritySetting + " must be an https URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_GoodValues_AreBound()
    {
        using var host = Build(WorkflowOptions.PollMaxSetting, "42");

        Assert.Equal(42, host.Services.GetRequiredService<IOptions<WorkflowOptions>>().Value.PollMaxSeconds);
        Assert.Equal(TimeSpan.FromMinutes(5), host.Services.GetRequiredService<IOptions<WebhookOptions>>().Value.Tolerance);
    }
}

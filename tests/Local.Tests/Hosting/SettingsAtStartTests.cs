using Approvals.Core.Indent;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Engine;
using Approvals.Local.Hosting;
using Approvals.Local.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Approvals.Local.Tests.Hosting;

/// <summary>One policy for every setting: a bad value stops the local host at start, with a message that names the
/// setting and never repeats the value. One setting per options class.</summary>
public sealed class SettingsAtStartTests
{
    const string Marker = "zz-not-a-value-zz";

    [Theory]
    [InlineData(WorkflowOptions.PollInitialSetting)]             // WorkflowOptions (bound in the container)
    [InlineData(IndentWebhookVerifier.ToleranceSetting)]         // WebhookOptions (bound in the container)
    [InlineData(IndentOptions.SpaceSetting)]                     // IndentOptions (bound in the container)
    [InlineData("KEY_VAULT_URI")]                                // AzureOptions (read at registration)
    [InlineData(EngineOptions.TaskHubSetting)]                   // EngineOptions (read before the host)
    [InlineData(EngineOptions.StorageSetting)]                   // EngineOptions: not a connection string
    [InlineData(LocalHostSettings.AttemptTimeoutSetting)]        // LocalHostSettings (read before the host)
    [InlineData(FileUserDirectory.LatencySetting)]               // LocalHostSettings
    public async Task StartAsync_BadSetting_StopsWithMessageNamingIt(string setting)
    {
        var data = Path.Combine(Path.GetTempPath(), "approvals-tests", Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?>
        {
            [IndentOptions.TokenSetting] = TestHost.Token,
            [IndentWebhookEndpoint.SecretSetting] = TestHost.WebhookSecret,
            [IndentOptions.SpaceSetting] = "acme",
            [setting] = Marker + " !",
        };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => LocalHost.StartAsync(new LocalHostOptions
        {
            Port = 0,
            DataDirectory = data,
            Configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build(),
            ConfigureLogging = b => b.ClearProviders(),
        }));

        Assert.True(error is InvalidOperationException or OptionsValidationException, $"unexpected {error.GetType().Name}: {error.Message}");
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, error.Message, StringComparison.Ordinal);
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }
    }
}

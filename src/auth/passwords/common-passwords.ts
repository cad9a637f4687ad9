/**
 * A small embedded list of very common passwords (lower-case), refused for new passwords whatever their letter case
 * (NIST SP 800-63B §5.1.1.2: compare against values known to be commonly used). Drawn from the top of the public
 * breach-frequency lists; entries shorter than the 8-character minimum are left out because the length rule already
 * refuses them. Kept small on purpose: it stops the obvious, not a dictionary attack (Argon2 and throttling do that).
 */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  'password', '12345678', '123456789', '1234567890', '12345678910', '123123123', '11111111', '111111111',
  '1111111111', '00000000', '000000000', '0000000000', '87654321', '987654321', '9876543210', '12341234', '11223344',
  '112233445566', '123456123456', '1q2w3e4r', '1q2w3e4r5t', '1q2w3e4r5t6y', 'qwerty123', 'qwertyuiop', 'qwerty12345',
  'qwerty1234', 'qwertyui', 'asdfghjkl', 'asdfghjk', 'zxcvbnm1', 'zxcvbnm123', '1qaz2wsx', '1qaz2wsx3edc',
  'qazwsxedc', 'zaq12wsx', 'zaq1zaq1', 'password1', 'password12', 'password123', 'password1234', 'passw0rd',
  'p@ssw0rd', 'p@ssword', 'pa55word', 'pa55w0rd', 'password!', 'password1!', 'iloveyou', 'iloveyou1', 'iloveyou2',
  'princess1', 'sunshine', 'sunshine1', 'football', 'football1', 'baseball', 'baseball1', 'basketball', 'superman',
  'batman123', 'starwars', 'trustno1', 'welcome1', 'welcome123', 'letmein1', 'letmein123', 'abc12345', 'abcd1234',
  'abcdefgh', 'abcdefg1', 'a1b2c3d4', 'aa123456', 'abc123456', '123456abc', '123abc123', 'monkey123', 'dragon123',
  'master123', 'shadow123', 'michael1', 'jennifer', 'jordan23', 'charlie1', 'computer', 'computer1', 'internet',
  'whatever1', 'changeme', 'changeme123', 'default1', 'administrator', 'admin123', 'admin1234', 'adminadmin',
  'root1234', 'toor1234', 'secret123', 'mypassword', 'mypassword1', 'newpassword', 'access123', 'login123',
  'test1234', 'testtest', 'testing123', 'hello123', 'hello1234', 'helloworld', 'qwerty1!', 'michelle', 'jessica1',
  'ashley123', '1234qwer', '123qweasd', '123qweasdzxc', 'qweasdzxc', 'qwe123qwe', 'asd123asd', '77777777',
  '88888888', '99999999', '66666666', '55555555', '22222222', '33333333', '44444444', '12121212', '13131313',
  '69696969', '123654789', '147258369', '159753456', '741852963', '789456123', '147852369', '456789123',
  'samsung1', 'google123', 'facebook1', 'linkedin1', 'iphone123', 'pokemon1', 'minecraft', 'spiderman', 'liverpool',
  'chelsea1', 'arsenal1', 'barcelona', 'manchester', 'blink182', 'metallica', 'nirvana1', 'lovely123', 'babygirl1',
  'loveme123', 'fuckyou1', 'ilovegod', 'jesus123', 'blessed1', 'freedom1', 'whatever', 'qwerty123456', 'summer2023',
  'summer2024', 'winter2023', 'winter2024', 'spring2024', 'autumn2024', 'january1', 'welcome2024', 'password2023',
  'password2024', 'password2025', 'company123', 'office123', 'letmein!', 'trustme1', 'superstar', 'sunflower',
  'butterfly', 'chocolate', 'cookie123', 'pepper123', 'mustang1', 'corvette', 'ferrari1', 'harley12', 'marlboro',
  'yankees1', 'cowboys1', 'steelers', 'eagles12', 'dallas123', 'hunter123', 'hunter22', 'killer123', 'soccer123',
  'hockey123', 'tigger12', 'buster123', 'maggie123', 'ginger12', 'snoopy123', 'daniel123', 'andrew123', 'thomas123',
  'joshua123', 'matthew1', 'robert123', 'william1', 'anthony1', 'nicholas', 'natasha1', 'victoria', 'princess123',
  'rainbow1', 'purple123', 'orange123', 'banana123', 'apple123', 'cheese123', 'flower123', 'diamond1', 'silver123',
  'golden123', '999999999', '1234567a', '12345qwert', 'qwert12345', 'asdf1234', 'zxcv1234', 'azerty123',
  'azertyuiop', 'motdepasse', 'passwort', 'hallo123', 'contraseña', 'senha123', 'parola123', 'haslo123',
]);
